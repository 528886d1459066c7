"""Survival: Kaplan–Meier against closed forms, durations of hand-made careers, the command."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impl_sim.analysis.survival import DURATIONS, durations, survival_table

ROOT = Path(__file__).resolve().parents[2]


def _exponential(rate: float, n: int, censor_max: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    times, censor = rng.exponential(1 / rate, n), rng.uniform(0, censor_max, n)
    return pd.DataFrame({"duration": "synthetic", "arm": "a", "months": np.minimum(times, censor),
                         "observed": times <= censor})


@pytest.mark.parametrize("seed", [1, 2])
def test_exponential_median_and_restricted_mean_match_the_closed_form(seed):
    rate, tau = 1 / 12, 24
    table = survival_table(_exponential(rate, 4000, 60, seed), by="arm", tau=tau)
    row = table.iloc[0]
    median = math.log(2) / rate  # 8.32 months
    assert row["median_lo"] <= median <= row["median_hi"]
    assert row["median"] == pytest.approx(median, rel=0.08)
    assert row[f"restricted_mean_{tau}m"] == pytest.approx(
        (1 - math.exp(-rate * tau)) / rate, rel=0.05)
    assert row["S12"] == pytest.approx(math.exp(-rate * 12), abs=0.03)
    assert 0 < row["events"] < row["n"] == 4000  # censoring happened


def test_heavier_censoring_keeps_the_median_but_widens_its_interval():
    light = survival_table(_exponential(0.1, 3000, 80, 3), by=None).iloc[0]
    heavy = survival_table(_exponential(0.1, 3000, 15, 3), by=None).iloc[0]
    assert heavy["median"] == pytest.approx(math.log(2) / 0.1, rel=0.1)
    assert heavy["median_hi"] - heavy["median_lo"] > light["median_hi"] - light["median_lo"]


def _career_events(horizon: int = 40) -> pd.DataFrame:
    """Three therapists and one replacement, by hand (window 6)."""
    rows = [  # month, id, post, event, detail, value
        (0, 0, 0, "hired", "in post at start", -1), (0, 1, 1, "hired", "in post at start", -1),
        (0, 2, 2, "hired", "in post at start", -1),
        (0, 0, 0, "enrolled", "", -1), (0, 1, 1, "enrolled", "", -1),
        (0, 2, 2, "enrolled", "", -1),
        # A (id 0): cases in months 2–6 and 9–12, a 2-month gap (< window), then nothing
        (2, 0, 0, "first_case", "", -1), (2, 0, 0, "case_started", "", 0),
        (6, 0, 0, "case_completed", "", 0), (9, 0, 0, "case_started", "", 1),
        (12, 0, 0, "case_dropped", "", 1),
        # B (id 1): delivering from month 3 until leaving in month 10
        (3, 1, 1, "first_case", "", -1), (3, 1, 1, "case_started", "", 2),
        (10, 1, 1, "case_closed_by_leaving", "", 2), (10, 1, 1, "left", "delivering", -1),
        (10, 3, 1, "hired", "replacement", -1),
        # C (id 2): first case in month 30, still open at the end
        (30, 2, 2, "first_case", "", -1), (30, 2, 2, "case_started", "", 3),
    ]
    frame = pd.DataFrame(rows, columns=["month", "id", "post", "event", "detail", "value"])
    frame = frame.sort_values("month", kind="stable")
    return frame.assign(task=0, point=0, arm="a", replication=0, entity="therapist",
                        service=0)


def _of(table: pd.DataFrame, name: str) -> dict[int, tuple[float, bool]]:
    rows = table[table["duration"] == name]
    return {int(i): (m, bool(o)) for i, m, o in zip(rows["id"], rows["months"],
                                                     rows["observed"], strict=True)}


def test_hand_made_careers_give_the_documented_durations():
    table = durations(_career_events(), horizon=40, window=6)
    # A stops at month 13 (first month of 27 without a case), 11 months after month 2
    # B leaves while delivering in month 10: stopping at 11, or censored at 11
    # C is still delivering at the end: censored at 40 − 30
    assert _of(table, "delivering_until_stop_or_leaving") == {
        0: (11, True), 1: (8, True), 2: (10, False)}
    assert _of(table, "delivering_leaving_censored") == {
        0: (11, True), 1: (8, False), 2: (10, False)}
    assert _of(table, "in_post_from_hire") == {
        0: (40, False), 1: (11, True), 2: (40, False), 3: (29, False)}
    assert _of(table, "first_case_after_enrolment") == {0: (2, True), 1: (3, True),
                                                       2: (30, True)}


def _leaving_and_stopping(n: int, horizon: int, seed: int) -> pd.DataFrame:
    """``n`` adopters with one case each from month 0: the case lasts Exp(mean 12) months
    unless the therapist leaves first (Exp(mean 15)), which closes it."""
    rng = np.random.default_rng(seed)
    rows = []
    for person in range(n):
        last = int(rng.exponential(12))  # last month of the case
        leaving = int(rng.exponential(15))
        rows += [(0, person, "hired", "in post at start"), (0, person, "enrolled", ""),
                 (0, person, "first_case", ""), (0, person, "case_started", "")]
        if leaving <= last and leaving < horizon:
            rows += [(leaving, person, "case_closed_by_leaving", ""),
                     (leaving, person, "left", "delivering")]
        elif last < horizon:
            rows.append((last, person, "case_completed", ""))
            if leaving < horizon:
                rows.append((leaving, person, "left", "paused"))
    frame = pd.DataFrame(rows, columns=["month", "id", "event", "detail"])
    frame["value"] = np.where(frame["event"].str.startswith("case"), frame["id"], -1)
    return frame.sort_values("month", kind="stable").assign(
        task=0, point=0, arm="a", replication=0, entity="therapist", service=0, post=frame["id"])


def test_counting_leaving_as_censoring_lengthens_the_delivering_median():
    names = ["delivering_until_stop_or_leaving", "delivering_leaving_censored"]
    table = durations(_leaving_and_stopping(2000, 60, 4), horizon=60, window=6, names=names)
    result = survival_table(table, by=None).set_index("duration")
    stop, censor = (result.loc[n] for n in names)
    assert censor["median"] > stop["median"]
    assert censor["events"] < stop["events"]
    # leaving competes with stopping at hazards 1/15 and 1/12 a month: with leaving as a stop
    # the median is about ln 2 / (1/12 + 1/15); censoring leavers, about ln 2 · 12 + the window
    assert stop["median"] == pytest.approx(math.log(2) / (1 / 12 + 1 / 15), abs=1.5)


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "impl_sim", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("survival")
    scenario = directory / "small.yaml"
    scenario.write_text(
        "name: small\nhorizon_months: 48\nreplications: 3\nseed: 9\n"
        "base: {services.count: 3, services.therapists_per_service: 6}\n"
        "arms:\n  passive: {leaders.style: passive_support}\n"
        "  leading: {leaders.style: implementation_leadership}\n")
    done = _cli("run", str(scenario), "--out", str(directory / "out"), "--quiet", "--json")
    assert done.returncode == 0, done.stderr
    return Path(json.loads(done.stdout)["results_dir"])


def test_the_survival_command_prints_medians_and_shares_with_intervals(small_run):
    done = _cli("survival", str(small_run), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report["durations"]) == set(DURATIONS)
    for arm in ("passive", "leading"):
        stop, censored = (report["durations"][name][arm]["median_months"] for name in (
            "delivering_until_stop_or_leaving", "delivering_leaving_censored"))
        assert stop["value"] is not None and stop["lo"] <= stop["value"]
        # null = the curve never fell to one half (not reached): then it is the longer one
        assert censored["value"] is None or censored["value"] >= stop["value"]
    services = report["durations"]["service_delivering_after_startup"]["leading"]
    share = services["share_not_ended_at"]["24"]
    assert share["value"] is None or 0.0 <= share["lo"] <= share["value"] <= share["hi"] <= 1.0
    figure = Path(report["figure"])
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_survival_command_prints_a_table_and_refuses_bad_input(small_run, tmp_path):
    done = _cli("survival", str(small_run), "--event", "in_post_from_hire", "--by", "none",
                "--figure", str(tmp_path / "km.png"))
    assert done.returncode == 0, done.stderr
    assert "in_post_from_hire" in done.stdout and (tmp_path / "km.png").exists()
    bad = _cli("survival", str(small_run), "--event", "in_post")
    assert bad.returncode == 2 and "--event" in bad.stderr and "Traceback" not in bad.stderr
    assert "in_post_from_hire" in bad.stderr
    by = _cli("survival", str(small_run), "--by", "service")
    assert by.returncode == 2 and "--by" in by.stderr


def test_the_report_shows_survival_curves_and_incremental_costs(small_run):
    from impl_sim.analysis.report import build_report
    from impl_sim.experiment.store import Results

    sections = {s.title: s for s in build_report(Results.load(small_run))}
    survival = sections["Careers and service histories (survival)"]
    assert survival.figures[0].png[:4] == b"\x89PNG"
    table = survival.tables[0][1]
    assert set(table["group"]) == {"passive", "leading"}
    assert "Incremental cost per extra completed case" in sections


def test_results_without_events_are_refused_with_the_fix():
    from types import SimpleNamespace

    from impl_sim.analysis.survival import SurvivalError, analyse

    results = SimpleNamespace(events=None, directory="results/x-1", manifest={})
    with pytest.raises(SurvivalError, match=r"outputs\.events: true"):
        analyse(results)
    with pytest.raises(SurvivalError, match="--by"):
        analyse(results, by="service")


def test_programme_duration_runs_from_startup_to_the_first_decision_to_stop():
    rows = [  # month, service id, event
        (3, 0, "startup"), (20, 0, "delivery_stopped"), (30, 0, "programme_stopped"),
        (40, 0, "programme_restarted"), (50, 0, "programme_stopped"),
        (5, 1, "startup"),  # never stops: censored at the horizon
        (2, 2, "programme_stopped"), (6, 2, "programme_restarted"), (9, 2, "startup"),
        (15, 2, "programme_stopped"),  # a stop before start-up does not count
    ]
    frame = pd.DataFrame(rows, columns=["month", "id", "event"]).sort_values(
        "month", kind="stable")
    frame = frame.assign(task=0, point=0, arm="a", replication=0, entity="service",
                         service=frame["id"], post=-1, detail="", value=-1)
    table = durations(frame, horizon=60, window=6, names=["service_programme_after_startup"])
    # a 6-month gap in delivery (service 0, month 20) is no stop of the programme
    assert _of(table, "service_programme_after_startup") == {
        0: (27, True), 1: (55, False), 2: (6, True)}
