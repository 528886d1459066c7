"""Reports: every figure is in the HTML and is a real picture; Markdown writes PNG files; bad
results folders end in exit 2 with a clear message."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib import image as mpimg
from typer.testing import CliRunner

from impl_sim.analysis.report import build_report, render_html, render_markdown
from impl_sim.cli import app
from impl_sim.experiment.runner import sweep

SMALL = {
    "name": "report-test", "horizon_months": 48, "replications": 2, "seed": 3,
    "base": {"services.count": 1, "services.therapists_per_service": 5},
    "arms": {"passive": {"leaders.style": "passive_support"},
             "leading": {"leaders.style": "implementation_leadership"}},
    "design": {"method": "grid", "levels": 2, "parameters": {
        "therapists.annual_turnover": [0.1, 0.5],
        "strategies.protected_time.enabled": [False, True]}},
    "outputs": {"series": True},
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    path = folder / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    return sweep(path, out=folder / "results")


@pytest.fixture(scope="module")
def sections(results):
    return build_report(results)


def _decode(png: bytes) -> np.ndarray:
    return mpimg.imread(io.BytesIO(png), format="png")


def _is_a_picture(pixels: np.ndarray) -> bool:
    """Not blank: many distinct colours and a fair share of non-white pixels."""
    rgb = (pixels[..., :3].reshape(-1, 3) * 255).astype(np.int64)
    inked = np.mean(rgb.min(axis=1) < 230)
    colours = np.unique(rgb @ np.array([65536, 256, 1]))
    return len(colours) > 50 and inked > 0.02


def test_html_report_embeds_every_figure_as_a_real_png(results, sections):
    text = render_html(results, sections)
    figures = [f for s in sections for f in s.figures]
    assert [f.name for f in figures] == ["series", "distributions", "differences",
                                         "scatter-sustainment_24m"]
    images = re.findall(r"<img[^>]*src='data:image/png;base64,([^']+)'", text)
    assert len(images) == text.count("<img") == len(figures)
    for data in images:
        pixels = _decode(base64.b64decode(data))
        assert pixels.shape[0] > 200 and pixels.shape[1] > 400
        assert _is_a_picture(pixels)
    for f in figures:
        assert len(f.caption) > 80 and f.title in text
    assert "http://" not in text and "https://" not in text  # self-contained
    for words in ("Provenance", "git commit", "Paired differences", "protected_time",
                  "lever", "uncertainty", "95 %"):
        assert words in text


def test_markdown_report_writes_png_files_beside_it(results, sections, tmp_path):
    text = render_markdown(results, sections, tmp_path / "study_figures", tmp_path)
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == 4
    for link in links:
        png = (tmp_path / link).read_bytes()
        assert _is_a_picture(_decode(png))
    assert "| outcome |" in text and "## Provenance" in text


def test_report_command_writes_html_and_refuses_bad_input(results, tmp_path):
    runner = CliRunner()
    doc = {**SMALL, "name": "no-series", "outputs": {"series": False, "events": False},
           "replications": 1, "arms": {"only": {}}, "design": None}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    plain = sweep(path, out=tmp_path / "results")
    out = tmp_path / "r.html"
    ok = runner.invoke(app, ["report", str(plain.directory), "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    text = out.read_text()
    assert str(out) in ok.output
    assert "not kept" in text and text.count("<img") == 1  # distributions only

    missing = runner.invoke(app, ["report", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    assert "no such results directory" in missing.output
    assert "Traceback" not in missing.output
    empty = tmp_path / "empty"
    empty.mkdir()
    not_results = runner.invoke(app, ["report", str(empty)])
    assert not_results.exit_code == 2 and "not a results directory" in not_results.output
    file = tmp_path / "file.txt"
    file.write_text("x")
    assert runner.invoke(app, ["report", str(file)]).exit_code == 2

    bad_format = runner.invoke(app, ["report", str(results.directory), "--format", "pdf"])
    assert bad_format.exit_code == 2 and "html, md" in bad_format.output
    bad_outcome = runner.invoke(app, ["report", str(results.directory), "--outcome",
                                      "sustainment_42m"])
    assert bad_outcome.exit_code == 2 and "did you mean" in bad_outcome.output


def test_share_intervals_stay_in_zero_one_and_other_outcomes_keep_t():
    from impl_sim.analysis.summary import mean_interval, outcome_interval, share_interval

    near_one = [1.0, 1.0, 1.0, 0.8, 1.0]
    t = mean_interval(near_one)
    assert t["hi"] > 1.0  # the normal-theory interval leaves [0, 1]
    bounded = share_interval(near_one)
    assert bounded["method"] == "t, truncated"
    assert bounded["lo"] == t["lo"] and bounded["hi"] == 1.0  # the lower limit keeps its width
    inside = [0.4, 0.5, 0.6, 0.5]
    assert share_interval(inside)["method"] == "t"
    assert share_interval(inside)["lo"] == mean_interval(inside)["lo"]
    assert outcome_interval("sustainment_24m", near_one)["hi"] <= 1.0
    assert outcome_interval("cost_total", near_one)["hi"] == t["hi"]  # not a share


def test_a_sweep_report_has_a_prim_section_with_significance_and_stability(tmp_path):
    from impl_sim.analysis.report import discovery_section
    from impl_sim.experiment.store import Results

    rng = np.random.default_rng(4)
    n = 400
    turnover = rng.uniform(0.1, 0.5, n)
    summary = pd.DataFrame({"task": range(n), "point": range(n), "arm": "baseline",
                            "replication": 0, "seed": 1, "therapists.annual_turnover": turnover,
                            "leaders.proactive": rng.uniform(0.5, 3.8, n)})
    summary["sustainment_24m"] = np.clip(0.9 - 1.6 * turnover + rng.normal(0, 0.05, n), 0, 1)
    results = Results(None, {"arms": ["baseline"], "design_parameters": [
        "therapists.annual_turnover", "leaders.proactive"], "design": {"method": "lhs"},
        "n_points": n, "replications": 1, "runs_expected": n}, summary)
    section = discovery_section(results, "sustainment_24m")
    assert section is not None and "lowest quarter" in section.paragraphs[0]
    assert "therapists.annual_turnover >" in section.paragraphs[1]
    assert "quasi-p" in section.paragraphs[1] and "of 10 resamples" in section.paragraphs[1]
    (_, table), = section.tables
    assert list(table["restriction"]) == [r for r in table["restriction"] if "turnover" in r]
    assert section.figures and section.figures[0].png.startswith(b"\x89PNG")
    titles = [s.title for s in build_report(results)]
    assert any(t.startswith("Scenario discovery (PRIM)") for t in titles)
