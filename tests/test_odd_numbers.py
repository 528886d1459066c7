"""docs/odd.md takes its formulas' numbers from the schema (issue 11, item 5).

Every "`group.name` (value)" in the ODD must be a parameter whose default is that value, and the
style-profile table must equal the schema's ``leader_styles`` defaults. The test reads the
documentation (not the model's code) and the schema.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from impl_sim.params import ILS_DIMENSIONS, ParamError, Params, param_spec

ODD = Path(__file__).resolve().parents[1] / "docs" / "odd.md"
TAGGED = re.compile(r"`([a-z_]+(?:\.[a-z_]+)+)` \((-?[0-9.]+)\)")


def _odd() -> str:
    return ODD.read_text(encoding="utf-8")


def test_numbers_given_with_a_parameter_name_equal_its_default():
    found = TAGGED.findall(_odd())
    assert len(found) > 30  # the formulas carry their numbers
    wrong = [(name, value, param_spec(name).default) for name, value in found
             if float(value) != float(param_spec(name).default)]
    assert not wrong, f"docs/odd.md disagrees with the schema: {wrong}"


def test_style_profile_table_equals_the_schema():
    text = _odd()
    table = text.split("<!-- style profiles -->")[1].split("<!-- end style profiles -->")[0]
    rows = {m.group(1): [float(x) for x in m.group(2).split("|")]
            for m in re.finditer(r"\| `(\w+)` \|([^\n]+)\|", table)}
    styles = Params().leader_styles
    assert set(rows) == set(type(styles).model_fields)
    for style, values in rows.items():
        profile = getattr(styles, style)
        assert values == [getattr(profile, d) for d in ILS_DIMENSIONS], style


def test_the_check_catches_a_wrong_number(tmp_path):
    bad = "`services.climate_agenda_weight` (0.99)"
    name, value = TAGGED.findall(bad)[0]
    assert float(value) != param_spec(name).default
    with pytest.raises(ParamError):
        param_spec("services.no_such_parameter")
