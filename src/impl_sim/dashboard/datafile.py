"""The one error shape of the dashboard's data files (lessons, questions, plan menu)."""

from __future__ import annotations


class DataFileError(ValueError):
    """A bad data file: names the file, the key, the bad value and what is allowed — the same
    shape as scenario errors (one line, no traceback)."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source, self.key, self.problem = source, key, problem
        super().__init__(f"{source}: {key}: {problem}" if key else f"{source}: {problem}")
