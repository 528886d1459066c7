"""The page state in the URL: a reload or a shared link restores the comparison.

The what-if (both sides' settings and names, futures per side, seed, run length) is packed
into one query parameter ``w`` as URL-safe base64 of compact JSON; lesson and teacher mode are
plain parameters (``lesson=s1-…``, ``teacher=1``). Decoding validates like a scenario file, so a
hand-edited link gives one readable message, never a traceback. Plain Python (no Solara).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

from impl_sim.dashboard.ensemble import MAX_REPLICATIONS, Arm, WhatIf
from impl_sim.params import ParamError, Params
from impl_sim.scenario.loader import ScenarioError

PARAM = "w"
SOURCE = "link"  # what error messages call the URL
MAX_STATE_CHARS = 20_000  # a link longer than this is not ours


def _arm(arm: Arm) -> dict[str, Any]:
    out: dict[str, Any] = {"o": dict(arm.overrides)}
    if arm.name:
        out["n"] = arm.name
    if arm.pinned:
        out["p"] = 1
    return out


def encode(whatif: WhatIf) -> str:
    """The what-if as a short URL-safe text."""
    doc = {"a": _arm(whatif.a), "b": _arm(whatif.b), "r": whatif.replications,
           "s": whatif.seed, "h": whatif.horizon_months}
    if whatif.name != WhatIf().name:
        doc["name"] = whatif.name
    raw = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(text: str) -> WhatIf:
    """The what-if in a link; raises :class:`ScenarioError` naming what is wrong."""
    if len(text) > MAX_STATE_CHARS:
        raise ScenarioError(SOURCE, PARAM, f"too long ({len(text)} characters; at most "
                            f"{MAX_STATE_CHARS})")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        doc = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ScenarioError(SOURCE, PARAM, "not a what-if made by this dashboard (cannot "
                            "decode it); open the page without it to start afresh") from None
    if not isinstance(doc, Mapping):
        raise ScenarioError(SOURCE, PARAM, "expected a what-if (a mapping)")
    defaults = WhatIf()
    whatif = WhatIf(a=_read_arm(doc.get("a"), "a"), b=_read_arm(doc.get("b"), "b"),
                    replications=_int(doc, "r", defaults.replications, 2, MAX_REPLICATIONS),
                    seed=_int(doc, "s", defaults.seed, 0, 2**32 - 1),
                    horizon_months=_int(doc, "h", defaults.horizon_months, 1, 600),
                    name=str(doc.get("name", defaults.name)))
    whatif.scenario()  # the same validation as a scenario file
    return whatif


def _read_arm(value: Any, side: str) -> Arm:
    if not isinstance(value, Mapping) or not isinstance(value.get("o", {}), Mapping):
        raise ScenarioError(SOURCE, f"{PARAM}.{side}", "expected the side's settings")
    overrides = dict(value.get("o", {}))
    try:
        Params.from_overrides(overrides)
    except ParamError as exc:
        raise ScenarioError(SOURCE, f"{PARAM}.{side}.{exc.key}", str(exc)) from None
    name = value.get("n", "")
    if not isinstance(name, str) or len(name) > 200:
        raise ScenarioError(SOURCE, f"{PARAM}.{side}.n", "expected a name of at most 200 "
                            "characters")
    return Arm(name, overrides, pinned=bool(value.get("p", 0)))


def _int(doc: Mapping[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = doc.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ScenarioError(SOURCE, f"{PARAM}.{key}", f"{value!r} is not allowed; expected a "
                            f"whole number from {lo} to {hi}")
    return value


def query(whatif: WhatIf, **flags: str) -> str:
    """``w=…&lesson=…`` for the current state (empty flags left out)."""
    return urlencode({PARAM: encode(whatif), **{k: v for k, v in flags.items() if v}})


def parse_query(search: str | None) -> dict[str, str]:
    """The query string's parameters (first value of each)."""
    return {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items() if v}
