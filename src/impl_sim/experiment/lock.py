"""One writer per results folder: an advisory lock on ``<folder>/.lock``.

The lock is an ``flock`` held by an open file, so the operating system releases it when the
holding process ends for any reason (``kill -9`` included): a lock left by a killed sweep is
simply free, and the next sweep takes it over and rewrites the holder's details. The file holds
who has the lock (pid, host, command, since when) so that a refused second sweep can say so.
The lock file itself is never deleted (deleting it would let two writers hold "the" lock).

Where ``fcntl`` does not exist (Windows) the lock is a no-op.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

LOCK_NAME = ".lock"


class FolderBusy(Exception):
    """Another live process holds the folder's lock."""

    def __init__(self, directory: Path, holder: str) -> None:
        self.directory, self.holder = directory, holder
        super().__init__(f"{directory}: in use by another sweep ({holder}); wait for it to "
                         "finish, or rerun with --wait to start when it does")


class FolderLock:
    """``with FolderLock(directory): ...`` — exclusive, non-blocking unless ``wait``."""

    def __init__(self, directory: Path, wait: bool = False,
                 on_wait: Any = None, poll_seconds: float = 0.5) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_NAME
        self.wait, self.on_wait, self.poll_seconds = wait, on_wait, poll_seconds
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        """Take the lock or raise :class:`FolderBusy` (with ``wait``: poll until free)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not self.wait:
                    holder = describe_holder(self.path)
                    os.close(fd)
                    raise FolderBusy(self.directory, holder) from None
                if not told:
                    (self.on_wait or self._say_waiting)(describe_holder(self.path))
                    told = True
                time.sleep(self.poll_seconds)
        self._fd = fd
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "command": " ".join(sys.argv)[:200]}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        return self

    def _say_waiting(self, holder: str) -> None:
        sys.stderr.write(f"{self.directory}: in use by another sweep ({holder}); waiting for "
                         "it to finish…\n")
        sys.stderr.flush()

    def release(self) -> None:
        """Give the lock up (closing the file releases the flock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def describe_holder(path: Path) -> str:
    """``pid 123 on host, since …, running `impl-sim sweep …```, or what is known of it."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "holder unknown"
    from impl_sim.textsafe import excerpt

    def show(key: str, limit: int = 60) -> str:
        value = info.get(key)
        return excerpt(value, limit) if not isinstance(value, str) else excerpt(value, limit)[1:-1]

    return (f"pid {show('pid')} on {show('host')}, since {show('since')}, running "
            f"`{show('command', 80)}`")
