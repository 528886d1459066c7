"""Server-wide limits of the dashboard: upload size, replications and concurrent ensembles.

* An uploaded scenario file may have at most :data:`MAX_UPLOAD_BYTES` (the scenario loader's
  limit, 1 MiB). The file drop is lazy: its size is known before its bytes are sent, so an
  oversized file is refused without being received.
* Replications per what-if: at most ``ensemble.MAX_REPLICATIONS``; the horizon is bounded by the
  schema (``simulation.horizon_months``), both checked by ``WhatIf.scenario()``.
* At most :data:`MAX_CONCURRENT_ENSEMBLES` ensembles run at once in the whole server (one per
  core); more wait in line (their progress shows 0 until a slot frees) and can still be
  cancelled while waiting.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from impl_sim.scenario.loader import MAX_FILE_BYTES, ScenarioError

MAX_UPLOAD_BYTES = MAX_FILE_BYTES
MAX_CONCURRENT_ENSEMBLES = max(1, os.cpu_count() or 1)
_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_ENSEMBLES)


def read_upload(info: Mapping[str, Any]) -> bytes:
    """The bytes of a dropped file (Solara's ``FileDrop`` info, lazy or not), refusing one over
    :data:`MAX_UPLOAD_BYTES` before reading it."""
    name = str(info.get("name") or "upload")
    size = info.get("size")
    if isinstance(size, int) and size > MAX_UPLOAD_BYTES:
        raise ScenarioError(name, "", f"{size:,} bytes; an uploaded scenario may have at most "
                            f"{MAX_UPLOAD_BYTES:,} bytes (1 MiB)")
    file_obj = info.get("file_obj")
    data = file_obj.read(MAX_UPLOAD_BYTES + 1) if file_obj is not None else info.get("data")
    data = data or b""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioError(name, "", f"more than {MAX_UPLOAD_BYTES:,} bytes; an uploaded "
                            "scenario may have at most 1 MiB")
    return data


@contextmanager
def ensemble_slot(cancel: threading.Event | None = None, poll: float = 0.2) -> Iterator[bool]:
    """Hold one of the server's ensemble slots; yields False (without a slot) if ``cancel``
    is set while waiting in line."""
    while not _SLOTS.acquire(timeout=poll):
        if cancel is not None and cancel.is_set():
            yield False
            return
    try:
        yield True
    finally:
        _SLOTS.release()
