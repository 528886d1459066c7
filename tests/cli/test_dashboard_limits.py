"""Dashboard limits at the server layer: the token gate on every request, no network serving
without a token, an upload cap checked before the bytes arrive, a cap on replications and on
concurrent ensembles."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("solara")

from typer.testing import CliRunner

from impl_sim.cli import app
from impl_sim.dashboard import limits
from impl_sim.dashboard.ensemble import MAX_REPLICATIONS, first_whatif
from impl_sim.dashboard.server import COOKIE, TokenGate
from impl_sim.scenario.loader import ScenarioError

ROOT = Path(__file__).resolve().parents[2]


async def _ok_app(scope, receive, send):
    if scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"page"})


def _call(gate: TokenGate, kind: str = "http", query: bytes = b"",
          headers: list[tuple[bytes, bytes]] | None = None) -> list[dict]:
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    scope = {"type": kind, "query_string": query, "headers": headers or []}
    # in a thread of its own: another test (Playwright) may leave an event loop running here
    worker = threading.Thread(target=lambda: asyncio.run(gate(scope, receive, send)))
    worker.start()
    worker.join(timeout=60)
    return sent


def test_the_token_gate_checks_every_request_and_websocket():
    gate = TokenGate(_ok_app, "s3cret")
    assert _call(gate)[0]["status"] == 403
    assert _call(gate, query=b"token=wrong")[0]["status"] == 403
    assert _call(gate, "websocket")[0] == {"type": "websocket.close", "code": 1008}
    first = _call(gate, query=b"token=s3cret")[0]
    assert first["status"] == 200
    cookie = dict(first["headers"])[b"set-cookie"]
    assert cookie.startswith(f"{COOKIE}=s3cret".encode()) and b"HttpOnly" in cookie
    with_cookie = [(b"cookie", f"{COOKIE}=s3cret".encode())]
    assert _call(gate, headers=with_cookie)[0]["status"] == 200
    assert _call(gate, "websocket", headers=with_cookie)[0]["type"] == "websocket.accept"
    assert _call(gate, headers=[(b"authorization", b"Bearer s3cret")])[0]["status"] == 200
    assert _call(gate, headers=[(b"cookie", b"\x00garbage;;=")])[0]["status"] == 403


def test_a_network_host_without_a_token_is_refused_with_exit_2(monkeypatch):
    monkeypatch.delenv("IMPL_SIM_DASHBOARD_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["dashboard", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "warning: --host 0.0.0.0" in result.stderr
    assert "--token" in result.stderr.strip().splitlines()[-1]


def test_an_oversized_upload_is_refused_before_it_is_read():
    class Unread:
        def read(self, *args):
            raise AssertionError("the oversized file was read")

    info = {"name": "big.yaml", "size": limits.MAX_UPLOAD_BYTES + 1, "file_obj": Unread()}
    with pytest.raises(ScenarioError, match="at most 1,048,576 bytes"):
        limits.read_upload(info)


def test_an_upload_that_lies_about_its_size_is_cut_at_the_cap():
    class Endless:
        def read(self, n=-1):
            return b"x" * n

    with pytest.raises(ScenarioError, match="more than 1,048,576 bytes"):
        limits.read_upload({"name": "liar.yaml", "size": 10, "file_obj": Endless()})
    assert limits.read_upload({"name": "ok.yaml", "data": b"name: x\n"}) == b"name: x\n"


def test_replications_beyond_the_dashboard_cap_are_refused():
    too_many = replace(first_whatif(), replications=MAX_REPLICATIONS + 1)
    with pytest.raises(ScenarioError, match=f"expected 1 to {MAX_REPLICATIONS}"):
        too_many.scenario()


def test_ensembles_beyond_the_server_cap_wait_in_line_and_can_be_cancelled():
    holders = [limits.ensemble_slot() for _ in range(limits.MAX_CONCURRENT_ENSEMBLES)]
    entered = [h.__enter__() for h in holders]
    assert all(entered)
    try:
        cancel = threading.Event()
        timer = threading.Timer(0.3, cancel.set)
        timer.start()
        with limits.ensemble_slot(cancel, poll=0.05) as admitted:
            assert not admitted, "a slot beyond the cap was handed out"
    finally:
        for h in holders:
            h.__exit__(None, None, None)
    with limits.ensemble_slot() as admitted:
        assert admitted


@pytest.mark.slow
def test_a_served_dashboard_with_a_token_refuses_requests_without_it(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SOLARA_HOME": str(tmp_path / "solara"), "MPLBACKEND": "Agg",
           "IMPL_SIM_DASHBOARD_TOKEN": "s3cret"}
    server = subprocess.Popen([sys.executable, "-m", "impl_sim", "dashboard", "--port",
                               str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"

    def status(address: str) -> int | None:
        try:
            with urllib.request.urlopen(address, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return None

    try:
        deadline = time.monotonic() + 300
        while status(url) is None and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.5)
        assert status(url) == 403
        assert status(url + "?token=wrong") == 403
        assert status(url + "?token=s3cret") == 200
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
