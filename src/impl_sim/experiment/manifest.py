"""The manifest of a results folder: reading it and checking every field a reader relies on.

Light on purpose (json and the parameter schema only): the command line checks a results
folder here before importing pandas, pyarrow or Mesa, so a bad folder is refused cheaply. A
tampered manifest is bad input: :class:`ResultsError`, one line naming the file, the key and
the value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from impl_sim.textsafe import excerpt

MANIFEST = "manifest.json"
FORMAT_VERSION = 3
MAX_RUNS = 10**9  # a manifest claiming more is tampered with (or not ours)
MAX_CHUNK = 10**6
MAX_MANIFEST_BYTES = 64 * 1024 * 1024


class ResultsError(ValueError):
    """A directory that is not (or no longer) a readable results directory."""


def read_manifest(directory: Path) -> dict[str, Any] | None:
    path = directory / MANIFEST
    if not path.exists():
        return None
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ResultsError(f"{path}: {path.stat().st_size} bytes; a manifest is at most "
                               f"{MAX_MANIFEST_BYTES} bytes — not an impl-sim manifest")
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ResultsError(f"{path}: unreadable manifest (not UTF-8 at byte {exc.start})"
                           ) from None
    except (OSError, ValueError, RecursionError) as exc:
        if isinstance(exc, ResultsError):
            raise
        raise ResultsError(f"{path}: unreadable manifest ({excerpt(str(exc), 120)})") from None
    if not isinstance(manifest, dict) or "scenario" not in manifest:
        raise ResultsError(f"{path}: not an impl-sim manifest")
    return manifest


def check_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Raise :class:`ResultsError` naming the key and value of the first field of ``manifest``
    that is missing or impossible (a tampered manifest is bad input, not a crash)."""
    from impl_sim.params import ParamError, param_spec

    def bad(key: str, allowed: str) -> ResultsError:
        return ResultsError(f"{path}: {key}: {excerpt(manifest.get(key))} is not allowed; "
                            f"expected {allowed}")

    for key, hi in (("runs_expected", MAX_RUNS), ("chunk_size", MAX_CHUNK)):
        value = manifest.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= hi:
            raise bad(key, f"a whole number from 1 to {hi:,}")
    if not isinstance(manifest.get("series"), bool):
        raise bad("series", "true or false")
    if not isinstance(manifest.get("events", False), bool):
        raise bad("events", "true or false")
    arms = manifest.get("arms")
    if arms is not None and not (isinstance(arms, list) and arms
                                 and all(isinstance(a, str) for a in arms)):
        raise bad("arms", "a list of arm names")
    names = manifest.get("design_parameters") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise bad("design_parameters", "a list of parameter names")
    for name in names:
        try:
            param_spec(name)
        except ParamError:
            raise ResultsError(f"{path}: design_parameters: {excerpt(name)} is not a model "
                               "parameter; the manifest was edited or written by another "
                               "version") from None
    kinds = manifest.get("parameter_kinds")
    if kinds is not None and not isinstance(kinds, dict):
        raise bad("parameter_kinds", "a mapping of parameter: kind")
    schemas = manifest.get("schemas")
    if schemas is not None and not isinstance(schemas, dict):
        raise bad("schemas", "a mapping of table: columns")


def check_results_folder(directory: str | Path) -> dict[str, Any]:
    """The checked manifest of a results folder, or :class:`ResultsError` (one line)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ResultsError(f"{directory}: no such results directory")
    manifest = read_manifest(directory)
    if manifest is None:
        raise ResultsError(f"{directory}: no {MANIFEST}; not a results directory (expected "
                           "the folder `impl-sim sweep` or `impl-sim run` printed)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ResultsError(f"{directory}: written by another impl-sim store format "
                           f"({excerpt(manifest.get('format_version'))}, this reads "
                           f"{FORMAT_VERSION}); rerun the sweep with --force-new")
    check_manifest(directory / MANIFEST, manifest)
    return manifest
