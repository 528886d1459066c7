"""Serving the dashboard behind a token: ``python -m impl_sim.dashboard.server HOST PORT``.

``impl-sim dashboard`` serves on 127.0.0.1 with ``solara run``. Any other ``--host`` (the
network can reach it) needs a token (``--token`` or the ``IMPL_SIM_DASHBOARD_TOKEN``
environment variable); the command then runs this module, which wraps Solara's ASGI app in
:class:`TokenGate`: every HTTP request and websocket must carry the token — as ``?token=…`` in
the address (the first page; the answer sets a cookie), as that cookie, or as an
``Authorization: Bearer …`` header — or gets 403 (websockets are closed). The token reaches
this process through the environment only, never its command line (which ``ps`` shows).

Kernels of closed browser tabs are culled after :data:`KERNEL_CULL_TIMEOUT` (Solara's default
is 24 h, so a busy server would keep every closed session's memory for a day).
"""

from __future__ import annotations

import hmac
import os
import sys
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

TOKEN_ENV = "IMPL_SIM_DASHBOARD_TOKEN"
COOKIE = "impl_sim_token"
KERNEL_CULL_TIMEOUT = "2m"
APP = "impl_sim.dashboard.app"
REFUSED = (b"impl-sim dashboard: this server needs its token; open the address with "
           b"?token=... as printed when it was started\n")


class TokenGate:
    """ASGI middleware: pass requests that carry ``token``; refuse the rest."""

    def __init__(self, app: Any, token: str) -> None:
        if not token:
            raise ValueError("TokenGate needs a non-empty token")
        self.app, self._token = app, token.encode()

    def _given(self, scope: dict[str, Any]) -> tuple[str, bool]:
        """The token a request carries, and whether it came in the query string."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if query.get("token"):
            return query["token"][0], True
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(), False
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is no token
            return "", False
        return (cookie[COOKIE].value if COOKIE in cookie else ""), False

    def allows(self, scope: dict[str, Any]) -> tuple[bool, bool]:
        given, from_query = self._given(scope)
        return hmac.compare_digest(given.encode(), self._token), from_query

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        allowed, from_query = self.allows(scope)
        if not allowed:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": REFUSED})
            return
        if scope["type"] == "http" and from_query:
            send = self._setting_cookie(send)
        await self.app(scope, receive, send)

    def _setting_cookie(self, send: Any) -> Any:
        cookie = f"{COOKIE}={self._token.decode()}; Path=/; HttpOnly; SameSite=Strict".encode()

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message,
                           "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        return wrapped


def main(argv: list[str] | None = None) -> None:
    """Serve the dashboard on ``HOST PORT`` behind the token of ``IMPL_SIM_DASHBOARD_TOKEN``."""
    host, port = (argv or sys.argv[1:])[:2]
    token = os.environ.get(TOKEN_ENV, "")
    if not token:
        sys.stderr.write(f"error: set {TOKEN_ENV} to the dashboard's token\n")
        raise SystemExit(2)
    os.environ.update(SOLARA_APP=APP, SERVER_NAME=host, SERVER_PORT=str(port),
                      SOLARA_MODE="production")
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", KERNEL_CULL_TIMEOUT)
    import uvicorn
    from solara.server.starlette import app as solara_app

    uvicorn.run(TokenGate(solara_app, token), host=host, port=int(port), log_level="warning")


if __name__ == "__main__":
    main()
