"""The report's "Why the arms differ" section: opt-in (--explain runs the attribution and saves
it beside the results; a later report reuses it), absent with one arm, and refused where the
results vary parameters."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from impl_sim.analysis.attribution import path_labels
from impl_sim.analysis.report import write_report
from impl_sim.cli import app
from impl_sim.experiment.runner import sweep
from impl_sim.params import mechanism_paths
from impl_sim.scenario.loader import ScenarioError, parse_scenario

TINY = {"horizon_months": 24, "replications": 2, "seed": 5,
        "base": {"services.count": 1, "services.therapists_per_service": 5}}
TWO_ARMS = {"name": "two-arms", **TINY,
            "arms": {"passive": {"leaders.style": "passive_support"},
                     "leading": {"leaders.style": "implementation_leadership"}}}
SECTION = "## Why the arms differ"


@pytest.fixture(scope="module")
def two_arms(tmp_path_factory):
    folder = tmp_path_factory.mktemp("two-arms")
    return sweep(parse_scenario(TWO_ARMS, "two.yaml"), out=folder).directory


@pytest.fixture(scope="module")
def explained(two_arms):
    """The Markdown report built with --explain (the attribution runs once per module)."""
    path = write_report(two_arms, "md", two_arms / "explained.md", explain=True)
    return path, path.read_text(encoding="utf-8")


def _section(text: str) -> str:
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:end if end > 0 else None]


def test_explain_adds_the_section_figure_and_a_sentence_naming_a_mechanism_path(explained):
    path, text = explained
    section = _section(text)
    assert "Computed for this report" in section and "new runs" in section
    labels = path_labels(mechanism_paths())
    sentences = [line for line in section.splitlines() if "of the difference comes from" in line]
    assert sentences, section
    named = [label for label in labels.values()
             if any(label[1:] in line for line in sentences)]  # mid-sentence: first letter lowered
    assert named, sentences
    figure = path.parent / "explained_figures" / "attribution.png"
    assert f"({figure.relative_to(path.parent).as_posix()})" in section
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 5000
    table_paths = {line.split("|")[2].strip() for line in section.splitlines()
                   if line.startswith("| ") and "mechanisms." in line}
    assert table_paths == set(mechanism_paths())  # every path has a row


def test_the_attribution_is_saved_and_reused_without_new_runs(two_arms, explained):
    _, first = explained
    saved = two_arms / "explain" / "attribution.json"
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["arms"] == ["passive", "leading"] and data["scenario"] == "two-arms"
    again = write_report(two_arms, "md", two_arms / "again.md").read_text(encoding="utf-8")
    section = _section(again)
    assert "Reused from" in section and str(saved) in section
    # same numbers: the tables of both reports agree row for row
    rows = [line for line in _section(first).splitlines() if line.startswith("| ")]
    assert rows and rows == [line for line in section.splitlines() if line.startswith("| ")]


def test_without_explain_or_a_saved_attribution_the_report_says_how(tmp_path):
    directory = sweep(parse_scenario({**TWO_ARMS, "name": "plain"}, "plain.yaml"),
                      out=tmp_path).directory
    text = write_report(directory, "html").read_text(encoding="utf-8")
    assert "Why the arms differ" in text and "--explain" in text
    assert "Attribution waterfall" not in text  # no figure without an attribution
    assert not (directory / "explain").exists()  # nothing was simulated


def test_one_arm_has_no_attribution_section(tmp_path):
    directory = sweep(parse_scenario({"name": "one-arm", **TINY}, "one.yaml"),
                      out=tmp_path).directory
    md = write_report(directory, "md").read_text(encoding="utf-8")
    html = write_report(directory, "html").read_text(encoding="utf-8")
    assert "Why the arms differ" not in md and "Why the arms differ" not in html
    # nothing to compare: --explain is not an error and simulates nothing
    assert write_report(directory, "md", explain=True).read_text(encoding="utf-8") == md


def test_report_cli_explain_options_are_checked(two_arms, explained):
    runner = CliRunner()
    result = runner.invoke(app, ["report", str(two_arms), "--replications", "3"])
    assert result.exit_code == 2
    assert "--replications: only with --explain" in result.output
    assert "Traceback" not in result.output


def test_explain_is_refused_for_a_design_sweep(tmp_path):
    design = {**TWO_ARMS, "name": "designed", "design": {
        "method": "grid", "levels": 2, "parameters": {"therapists.annual_turnover": [0.1, 0.3]}}}
    directory = sweep(parse_scenario(design, "designed.yaml"), out=tmp_path).directory
    with pytest.raises(ScenarioError, match="vary parameters"):
        write_report(directory, "md", explain=True)
    result = CliRunner().invoke(app, ["report", str(directory), "--explain"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert not (directory / "explain").exists()


def test_explain_writes_into_the_scenario_results_folder_and_report_reuses_it(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump({**TWO_ARMS, "name": "cli-two"}))
    directory = sweep(path, out=tmp_path / "results").directory
    # more replications than the run: still written beside the run's results
    done = CliRunner().invoke(app, ["explain", str(path), "--replications", "3", "--out",
                                    str(tmp_path / "results"), "--quiet",
                                    "--outcome", "penetration"])
    assert done.exit_code == 0, done.output
    saved = directory / "explain" / "attribution.json"
    assert json.loads(saved.read_text(encoding="utf-8"))["replications"] == 3
    text = write_report(directory, "md").read_text(encoding="utf-8")
    section = _section(text)
    assert "Reused from" in section and "3 replications per arm and combination" in section
    assert "| penetration | mechanisms." in section
