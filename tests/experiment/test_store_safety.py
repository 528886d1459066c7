"""The store never mixes two scenarios, never accepts a changed part, never deletes finished
work silently, and says where a write failed (issue 15's reproducers, one test each)."""

from __future__ import annotations

import errno
import json
import random
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from impl_sim.experiment import store as store_module
from impl_sim.experiment.runner import run_scenario
from impl_sim.experiment.store import (
    MANIFEST,
    Results,
    ResultsError,
    ResultStore,
    StoreWriteError,
    read_part,
    results_dir_for,
)
from impl_sim.scenario.loader import Scenario, load_scenario


def _parts(directory: Path, kind: str = "runs") -> list[Path]:
    return sorted((directory / kind).glob("part-*.parquet"))


def _reordered(path: Path, key: str) -> Path:
    """The same scenario file with the two entries of ``arms`` (or of the design's parameters)
    swapped."""
    doc = yaml.safe_load(path.read_text())
    block = doc["arms"] if key == "arms" else doc["design"]["parameters"]
    swapped = dict(reversed(list(block.items())))
    if key == "arms":
        doc["arms"] = swapped
    else:
        doc["design"]["parameters"] = swapped
    out = path.with_name(f"reordered-{key}.yaml")
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def _stop_after(monkeypatch: pytest.MonkeyPatch, chunks: int) -> None:
    """Make the store fail (as an interruption would) after ``chunks`` chunks are written."""
    written = {"n": 0}
    original = ResultStore.write_chunk

    def write_chunk(self, pairs):
        if written["n"] >= chunks:
            raise KeyboardInterrupt
        written["n"] += 1
        original(self, pairs)

    monkeypatch.setattr(ResultStore, "write_chunk", write_chunk)


@pytest.mark.parametrize("key", ["arms", "design"])
def test_reordered_arms_or_design_lines_never_mix_with_an_interrupted_run(
        tiny_file, tmp_path, monkeypatch, key):
    with monkeypatch.context() as patch:
        _stop_after(patch, 2)
        with pytest.raises(KeyboardInterrupt):
            run_scenario(load_scenario(tiny_file), out=tmp_path)
    reordered = load_scenario(_reordered(tiny_file, key))
    assert reordered.hash() != load_scenario(tiny_file).hash()
    resumed = run_scenario(reordered, out=tmp_path)
    fresh = run_scenario(reordered, out=None)
    pd.testing.assert_frame_equal(resumed.summary, fresh.summary)
    assert resumed.complete and not resumed.summary.duplicated(
        ["point", "arm", "replication"]).any()


def test_a_task_list_that_changed_under_the_same_hash_is_refused(tiny_file, tmp_path,
                                                                 monkeypatch):
    """Belt and braces: even if two orders shared a hash (the old, sorted hash), the task
    digest in the manifest refuses the resume and touches nothing."""
    monkeypatch.setattr(Scenario, "hash", lambda self: "samehashsame")
    with monkeypatch.context() as patch:
        _stop_after(patch, 2)
        with pytest.raises(KeyboardInterrupt):
            run_scenario(load_scenario(tiny_file), out=tmp_path)
    directory = results_dir_for(load_scenario(tiny_file), tmp_path)
    before = {p: p.read_bytes() for p in _parts(directory)}
    with pytest.raises(ResultsError, match=r"task list .* differs.*--force-new"):
        run_scenario(load_scenario(_reordered(tiny_file, "arms")), out=tmp_path)
    assert {p: p.read_bytes() for p in _parts(directory)} == before


def _footer_range(path: Path) -> range:
    data = path.read_bytes()
    footer = int.from_bytes(data[-8:-4], "little")
    return range(len(data) - 8 - footer, len(data))


def test_single_bit_flips_in_a_footer_are_detected_or_harmless_never_accepted_changed(
        tiny, tmp_path):
    directory = run_scenario(tiny, out=tmp_path).directory
    victim = _parts(directory)[1]
    ids = range(4, 8)
    original_bytes = victim.read_bytes()
    original = read_part(victim, ids)
    assert original is not None
    rng = random.Random(15)
    positions = list(_footer_range(victim))
    outcomes = {"detected": 0, "harmless": 0}
    for _ in range(300):
        at, bit = rng.choice(positions), 1 << rng.randrange(8)
        flipped = bytearray(original_bytes)
        flipped[at] ^= bit
        victim.write_bytes(bytes(flipped))
        table = read_part(victim, ids)
        if table is None:
            outcomes["detected"] += 1
        else:
            assert table.equals(original), f"byte {at} bit {bit}: accepted with changed content"
            outcomes["harmless"] += 1
    assert sum(outcomes.values()) == 300 and outcomes["detected"] > 0


def test_a_flipped_part_is_redone_on_resume(tiny, tmp_path):
    reference = run_scenario(tiny, out=None)
    directory = run_scenario(tiny, out=tmp_path).directory
    victim = _parts(directory)[2]
    data = bytearray(victim.read_bytes())
    data[_footer_range(victim)[10]] ^= 0x04
    victim.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="chunk 2 is corrupt"):
        redone = run_scenario(tiny, out=tmp_path)
    pd.testing.assert_frame_equal(redone.summary, reference.summary)
    assert list((directory / "corrupt").glob("runs-part-000002.*")), "bad part kept aside"


def test_a_part_with_another_schema_is_not_accepted(tiny, tmp_path):
    """A whole, checksummed part whose columns are not the kind's schema (here: arm as
    bytes) is refused: the schema recorded in the manifest is checked on every read."""
    directory = run_scenario(tiny, out=tmp_path).directory
    victim = _parts(directory)[0]
    table = pq.read_table(victim)
    arm = table.column("arm").cast("binary")
    store_module.atomic_write_table(victim, table.set_column(
        table.column_names.index("arm"), "arm", arm))
    with pytest.warns(UserWarning, match="chunk 0 is corrupt"):
        loaded = Results.load(directory)
    assert 0 not in set(loaded.summary["task"])


@pytest.mark.parametrize("damage", ["missing", "edited_hash", "edited_digest"])
def test_a_missing_or_edited_manifest_is_refused_and_no_part_is_touched(tiny, tmp_path, damage):
    directory = run_scenario(tiny, out=tmp_path).directory
    manifest_path = directory / MANIFEST
    if damage == "missing":
        manifest_path.unlink()
    else:
        manifest = json.loads(manifest_path.read_text())
        key = "scenario_hash" if damage == "edited_hash" else "tasks_digest"
        manifest[key] = "0" * 12
        manifest_path.write_text(json.dumps(manifest))
    before = {p: p.read_bytes() for p in _parts(directory) + _parts(directory, "series")}
    with pytest.raises(ResultsError, match="--force-new") as refused:
        run_scenario(tiny, out=tmp_path)
    assert str(directory) in str(refused.value) and "\n" not in str(refused.value)
    assert {p: p.read_bytes() for p in before} == before

    with pytest.warns(UserWarning, match="moved to"):
        fresh = run_scenario(tiny, out=tmp_path, force_new=True)
    assert fresh.complete
    moved = list(directory.glob("superseded-*"))
    assert len(moved) == 1
    kept = {p.name for p in (moved[0] / "runs").glob("part-*.parquet")}
    assert kept == {p.name for p in before if p.parent.name == "runs"}


def test_a_full_disk_names_the_path_leaves_no_partial_part_and_resumes(tiny, tmp_path,
                                                                        monkeypatch):
    reference = run_scenario(tiny, out=None)
    calls = {"n": 0}
    real_write = pq.write_table

    def write_table(table, where, **kwargs):
        calls["n"] += 1
        if calls["n"] > 5:  # the disk fills up part-way through the third chunk
            Path(where).write_bytes(b"PAR1 half")
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(table, where, **kwargs)

    monkeypatch.setattr(store_module.pq, "write_table", write_table)
    with pytest.raises(StoreWriteError) as failed:
        run_scenario(tiny, out=tmp_path)
    message = str(failed.value)
    directory = results_dir_for(tiny, tmp_path)
    assert str(directory) in message and "rerun the same command to resume" in message
    assert "no space left on device" in message
    assert not list(directory.glob("*/.*.tmp")), "a temporary file was left behind"
    size = json.loads((directory / MANIFEST).read_text())["chunk_size"]
    stored = _parts(directory)
    assert 0 < len(stored) < 4
    for part in stored:  # every part left behind is whole
        first = int(part.stem.split("-")[1]) * size
        assert read_part(part, range(first, first + size)) is not None
    monkeypatch.setattr(store_module.pq, "write_table", real_write)
    resumed = run_scenario(tiny, out=tmp_path)
    pd.testing.assert_frame_equal(resumed.summary, reference.summary)
    pd.testing.assert_frame_equal(resumed.series, reference.series)


@pytest.mark.parametrize("field,value,needle", [
    ("runs_expected", 1e15, "runs_expected"),
    ("runs_expected", 10**15, "runs_expected"),
    ("chunk_size", 0, "chunk_size"),
    ("series", "yes", "series"),
    ("design_parameters", ["therapists.made_up"], "therapists.made_up"),
    ("arms", "passive", "arms"),
])
def test_a_tampered_manifest_is_refused_in_one_line(serial_results, tmp_path, field, value,
                                                    needle):
    copy = tmp_path / "copy"
    _copy_tree(serial_results.directory, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest[field] = value
    (copy / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ResultsError, match=needle) as refused:
        Results.load(copy)
    assert "\n" not in str(refused.value) and str(copy) in str(refused.value)


def test_a_manifest_that_is_not_utf8_is_refused_naming_it(serial_results, tmp_path):
    copy = tmp_path / "copy"
    _copy_tree(serial_results.directory, copy)
    text = (copy / MANIFEST).read_bytes().replace(b'"tiny-sweep"', b'"tiny-sw\xe9ep"', 1)
    (copy / MANIFEST).write_bytes(text)
    with pytest.raises(ResultsError, match="not UTF-8"):
        Results.load(copy)


def _copy_tree(source: Path, target: Path) -> None:
    import shutil

    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".lock"))


def test_a_report_that_cannot_be_written_leaves_the_previous_one_whole(serial_results,
                                                                        tmp_path, monkeypatch):
    from impl_sim.analysis.report import write_report

    target = tmp_path / "report.html"
    write_report(serial_results.directory, "html", target)
    before = target.read_bytes()
    assert before

    def full_disk(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(StoreWriteError, match="no space left on device"):
        write_report(serial_results.directory, "html", target)
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(".report.html.*"))


def test_a_busy_folder_is_refused_naming_the_holder_and_wait_takes_it_when_free(tiny, tmp_path):
    import os
    import threading

    from impl_sim.experiment.lock import FolderBusy, FolderLock

    directory = results_dir_for(tiny, tmp_path)
    holder = FolderLock(directory).acquire()
    try:
        with pytest.raises(FolderBusy, match=f"pid {os.getpid()} on .*--wait"):
            run_scenario(tiny, out=tmp_path)
        threading.Timer(0.5, holder.release).start()
        waited = run_scenario(tiny, out=tmp_path, wait=True)
    finally:
        holder.release()
    assert waited.complete


def test_a_lock_left_by_a_killed_process_is_taken_over(tiny, tmp_path):
    import os

    directory = results_dir_for(tiny, tmp_path)
    directory.mkdir(parents=True)
    (directory / ".lock").write_text(json.dumps({"pid": 2**22 + 12345, "host": "gone",
                                                 "since": "yesterday", "command": "killed"}))
    assert run_scenario(tiny, out=tmp_path).complete
    assert json.loads((directory / ".lock").read_text())["pid"] == os.getpid()
