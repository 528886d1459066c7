"""Safe echoes of user input in messages: short, escaped, on one line.

A bad value is shown back to the user so they can find it, but a value can be huge (a 1 MiB
string, a deeply nested list) or hold terminal control characters. Everything echoed goes
through :func:`excerpt` (a bounded ``repr``) and every printed error through :func:`one_line`.
Imports nothing heavy: the error path must stay cheap.
"""

from __future__ import annotations

import reprlib
from typing import Any

EXCERPT_CHARS = 60
MESSAGE_CHARS = 600

_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = EXCERPT_CHARS
_REPR.maxother = EXCERPT_CHARS
_REPR.maxlong = 40
for _name in ("maxlist", "maxdict", "maxtuple", "maxset", "maxfrozenset", "maxdeque"):
    setattr(_REPR, _name, 6)


def escape_controls(text: str) -> str:
    """``text`` with control characters (C0, DEL, C1, newlines) written as escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """A short, escaped ``repr`` of ``value`` (bounded time and length whatever its size)."""
    text = escape_controls(_REPR.repr(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str, limit: int = MESSAGE_CHARS) -> str:
    """A message as one printable line of at most ``limit`` characters."""
    text = escape_controls(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
