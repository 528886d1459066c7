"""The plausibility table: every row sourced, values from the schema or the simulation, a value
outside its published range flagged."""

from __future__ import annotations

import pytest

from impl_sim.analysis.plausibility import (
    PlausibilityError,
    check_rows,
    evaluate,
    markdown_section,
)
from impl_sim.analysis.plausibility_data import PLAUSIBILITY_ROWS
from impl_sim.params import Params


def test_every_shipped_row_has_a_source_a_link_and_a_range():
    check_rows(PLAUSIBILITY_ROWS)
    for row in PLAUSIBILITY_ROWS:
        assert row["source"].strip() and row["url"].startswith("http")
        assert row["range"][0] <= row["range"][1]
    ids = [r["id"] for r in PLAUSIBILITY_ROWS]
    assert len(ids) == len(set(ids))


def row(**changes):
    base = {"id": "X", "quantity": "q", "range": [0.0, 1.0], "unit": "share", "source": "s",
            "url": "https://example.org"}
    return {**base, **changes}


def test_an_input_outside_its_range_is_flagged_and_one_inside_is_not():
    default = Params().therapists.annual_turnover
    [inside, outside] = evaluate([
        row(id="in", parameter="therapists.annual_turnover", range=[0.0, default + 0.1]),
        row(id="out", parameter="therapists.annual_turnover", range=[default + 0.1, 0.9])])
    assert inside.value == default and not inside.outside
    assert outside.outside


def test_simulated_rows_give_an_interval_and_the_flag_follows_the_mean():
    rows = [row(id="completion", outcome="training_completion", range=[0.0, 1.0]),
            row(id="impossible", outcome="training_completion", range=[1.5, 2.0])]
    first, second = evaluate(rows, replications=3)
    assert first.lo <= first.value <= first.hi
    assert not first.outside and second.outside
    assert second.value == first.value  # the same runs, judged against another range
    text = markdown_section([first, second])
    assert "**1 of 2 rows outside their published range**" in text
    assert "| impossible |" in text and "**outside**" in text


def test_per_post_year_scales_by_posts_and_years():
    raw, scaled = evaluate([row(id="raw", outcome="leavers_cumulative@59", range=[0, 1e9]),
                            row(id="scaled", outcome="leavers_cumulative@59", per="post_year",
                                range=[0, 1e9])], replications=2)
    defaults = Params()
    posts = defaults.services.count * defaults.services.therapists_per_service
    years = defaults.simulation.horizon_months / 12
    assert scaled.value == pytest.approx(raw.value / (posts * years))


@pytest.mark.parametrize("bad, message", [
    (row(), "exactly one of parameter, outcome, effect"),
    (row(parameter="therapists.annual_turnover", source=""), "source missing"),
    (row(parameter="therapists.anual_turnover"), "did you mean"),
    (row(effect="adoption", arms=[{}]), "needs arms"),
    (row(parameter="therapists.annual_turnover", range=[1, 0]), "low above high"),
])
def test_malformed_rows_are_refused(bad, message):
    with pytest.raises(PlausibilityError, match=message):
        check_rows([bad])
