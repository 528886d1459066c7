"""Words a leader reads: names from differences, one-click questions, plain labels, one
uncertainty statement, cost sentences, lesson texts, and the state in the URL."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from impl_sim.dashboard.controls import key_levers, strategy_controls
from impl_sim.dashboard.ensemble import Arm, WhatIf, export_yaml, import_yaml, run_ensemble
from impl_sim.dashboard.lesson_book import load_lessons
from impl_sim.dashboard.naming import arm_id
from impl_sim.dashboard.questions import QuestionError, load_questions, parse_questions
from impl_sim.dashboard.sentences import KEY_SENTENCES, sentences
from impl_sim.dashboard.urlstate import decode, encode
from impl_sim.dashboard.wording import outcome_words, param_label, value_words
from impl_sim.params import Params, param_spec
from impl_sim.scenario.loader import ScenarioError, parse_scenario

SMALL = {"replications": 4, "horizon_months": 48}
PROTECT_AND_ROUTE = {"strategies.protected_time.enabled": True,
                     "strategies.protected_time.hours_per_week": 2.0,
                     "strategies.central_case_routing.enabled": True}


# --- names generated from differences --------------------------------------------------------


def test_b_is_named_after_what_it_changes_as_in_the_issue():
    whatif = WhatIf().with_side("b", Arm("", PROTECT_AND_ROUTE))
    assert whatif.label("a") == "today"
    assert whatif.label("b") == "today + protected time 2 h/week + central routing"


def test_an_unchanged_copy_says_so_and_still_gets_its_own_arm_in_the_file():
    whatif = WhatIf()
    assert whatif.label("b") == "today (unchanged copy)"
    id_a, id_b = whatif.arm_ids()
    assert id_a != id_b
    assert list(whatif.scenario().arms) == [id_a, id_b]
    back = import_yaml(export_yaml(whatif), "x.yaml")
    assert (back.a.name, back.b.name) == (id_a, id_b)


def test_copy_a_into_b_then_changing_b_renames_it_from_the_differences():
    # the issue: after "Copy A into B" and switching on protected time and routing, B was
    # still called "implementation_leadership" in the heading, the legend and the file
    opened = import_yaml("name: s\narms:\n  today: {}\n  implementation_leadership: "
                         "{leaders.style: implementation_leadership}\n", "s.yaml")
    assert opened.label("b") == "implementation_leadership"
    copied = opened.with_side("b", opened.b.changed(dict(opened.a.overrides)))
    changed = copied.with_side("b", copied.b.changed(PROTECT_AND_ROUTE))
    assert "implementation" not in changed.label("b")
    assert changed.label("b") == "today + protected time 2 h/week + central routing"
    exported = export_yaml(changed)
    assert "implementation_leadership" not in exported
    assert arm_id(changed.label("b")) in exported


def test_a_name_the_user_typed_survives_changes_until_cleared():
    whatif = WhatIf().with_side("b", Arm().renamed("Plan for 2027"))
    whatif = whatif.with_side("b", whatif.b.changed(PROTECT_AND_ROUTE))
    assert whatif.label("b") == "Plan for 2027"
    whatif = whatif.with_side("b", whatif.b.renamed(""))
    assert whatif.label("b").startswith("today + protected time")


def test_removing_a_strategy_and_changing_a_setting_are_both_named():
    a = {"strategies.booster_consultation.enabled": True}
    whatif = WhatIf(a=Arm("today", a), b=Arm("", {"therapists.annual_turnover": 0.45}))
    assert whatif.label("b") == ("today + no booster consultation + therapists leaving each "
                                 "year 45 % a year")


@pytest.mark.parametrize("name", ["today + protected time 2 h/week", "Plan für 2027!", "++",
                                  "x" * 200])
def test_arm_ids_are_valid_scenario_arm_names(name):
    arm = arm_id(name)
    parse_scenario({"name": "s", "arms": {arm: {}}}, "s.yaml")
    assert len(arm) <= 80


# --- one-click questions as data ---------------------------------------------------------------


QUESTIONS = load_questions()


def test_the_questions_of_the_issue_are_offered():
    labels = [q.label.lower() for q in QUESTIONS]
    for wanted in ("protect 2 hours a week", "route eligible families", "train our leaders",
                   "booster consultation", "lose funding in year 3", "half the staff leave"):
        assert any(wanted in label for label in labels), wanted


@pytest.mark.parametrize("question", QUESTIONS, ids=[q.id for q in QUESTIONS])
def test_a_question_sets_b_to_a_plus_the_question_and_names_it(question):
    a = {"therapists.motivation_mean": 0.4}
    b = question.apply(a)
    params_a, params_b = Params.from_overrides(a), Params.from_overrides(b)
    assert params_a != params_b
    assert params_b.therapists.motivation_mean == 0.4  # A's own settings carry over
    for key, value in question.settings.items():
        group, *rest = key.split(".")
        node = getattr(params_b, group)
        for part in rest:
            node = getattr(node, part)
        assert (node.value if hasattr(node, "value") else node) == value
    whatif = WhatIf(a=Arm("today", a), b=Arm("", b))
    assert whatif.label("b").startswith("today + ")
    assert "_" not in whatif.label("b")  # words, not parameter names


def test_losing_funding_in_year_3_means_every_service_loses_it_at_month_24():
    question = next(q for q in QUESTIONS if q.id == "lose-funding")
    whatif = replace(WhatIf(b=Arm("", question.apply({}))), replications=2, horizon_months=36)
    ens = run_ensemble(whatif)
    b = ens.arms[1]
    funded = ens.series_of(b, "funded_services")
    n = Params().services.count
    assert (funded[:, :24] == n).all() and (funded[:, 24:] == 0).all()
    assert ens.outcome(b, "funding_losses").tolist() == [float(n), float(n)]
    assert whatif.label("b") == "today + funding lost in year 3"


@pytest.mark.parametrize(("doc", "key", "problem"), [
    ([{"id": "x", "label": "X", "question": "?", "sett": {}}], "[0].sett", "did you mean 'set'"),
    ([{"id": "x", "label": "X", "question": "?", "set": {"therapists.annual_turnover": 2}}],
     "[0].set.therapists.annual_turnover", "0.9"),
    ([{"id": "x", "label": "X", "question": "?", "set": {"leaders.stile": "x"}}],
     "[0].set.leaders.stile", "did you mean"),
    ([{"id": "x", "label": "", "question": "?", "set": {"leaders.style": "passive_support"}}],
     "[0].label", "non-empty text"),
    ({"id": "x"}, "", "non-empty list"),
])
def test_a_bad_questions_file_names_the_key_and_what_is_allowed(doc, key, problem):
    with pytest.raises(QuestionError) as err:
        parse_questions(doc, "questions.yaml")
    assert err.value.key == key
    assert problem in str(err.value) and "questions.yaml" in str(err.value)


# --- plain labels --------------------------------------------------------------------------


def test_every_key_lever_and_strategy_dose_shown_first_has_a_plain_label():
    shown = list(key_levers()) + [d for s in strategy_controls() for d in s.key_dose]
    for spec in shown:
        label = param_label(spec)
        assert spec.plain, spec.name
        assert "_" not in label and "(mean)" not in label, label


@pytest.mark.parametrize(("name", "value", "said"), [
    ("therapists.annual_turnover", 0.3, "30 % a year"),
    ("strategies.protected_time.hours_per_week", 2.0, "2 h/week"),
    ("leaders.style", "passive_support", "passive support (“you may do it”)"),
    ("strategies.central_case_routing.enabled", True, "on"),
])
def test_values_are_said_in_a_leaders_units(name, value, said):
    assert value_words(param_spec(name), value) == said


def test_one_control_per_concept_the_leaders_own_protected_hours_say_they_are_not_a_decision():
    spec = param_spec("leaders.max_protected_hours_per_week")
    assert "leaders behave" in param_label(spec)
    assert spec not in key_levers()


# --- one uncertainty statement ----------------------------------------------------------------


def _null_ensemble():
    return run_ensemble(replace(WhatIf(), **SMALL))


def test_a_null_change_says_no_clear_difference_and_never_better():
    text = sentences(_null_ensemble())
    for sentence in text[:len(KEY_SENTENCES)]:
        assert "no clear difference" in sentence, sentence
        assert "better" not in sentence and "worse" not in sentence
    assert all("median" not in s and "80 %" not in s for s in text)


def test_a_difference_whose_interval_includes_zero_is_not_called_better():
    # two futures per side: wide intervals; a small dose of protected time
    whatif = replace(WhatIf(b=Arm("", {"strategies.protected_time.enabled": True,
                                        "strategies.protected_time.hours_per_week": 0.2})),
                     replications=3, horizon_months=48)
    ens = run_ensemble(whatif)
    for name, sentence in zip(KEY_SENTENCES, sentences(ens), strict=False):
        d = ens.difference(name)
        lo, hi = d["lo"], d["hi"]
        if not np.isnan(lo) and lo <= 0 <= hi:
            assert "no clear difference" in sentence
            assert "clearly" not in sentence


def test_every_share_names_its_group():
    ens = run_ensemble(replace(WhatIf(b=Arm("", {"leaders.style": "implementation_leadership"})),
                               **SMALL))
    text = dict(zip(KEY_SENTENCES, sentences(ens), strict=False))
    assert "% of the trained therapists still in post with B" in text["sustainment_24m"]
    assert "% of the therapists who completed training with B" in text["adoption"]
    assert f" of {Params().services.count} services with B" in text["service_sustainment_24m"]
    posts = Params().services.count * Params().services.therapists_per_service
    assert f" of {posts} therapist posts with B" in text["delivering_therapists_24m"]
    assert outcome_words("sustainment_24m").denominator == "trained therapists still in post"


def test_cost_sentences_give_total_per_case_and_per_extra_completed_case():
    ens = run_ensemble(replace(WhatIf(b=Arm("", {"leaders.style": "implementation_leadership",
                                                  **PROTECT_AND_ROUTE})), **SMALL))
    costs = sentences(ens)[len(KEY_SENTENCES):]
    a, b = ens.arms
    rows = ens.summary.set_index(["arm", "replication"])
    extra_cost = (rows.loc[b, "cost_total"] - rows.loc[a, "cost_total"]).mean()
    extra_cases = (rows.loc[b, "cases_completed"] - rows.loc[a, "cases_completed"]).mean()
    assert extra_cases > 0, "this B completes more cases"
    assert costs[0].startswith("Total cost") and "B − A: +€" in costs[0]
    assert costs[1].startswith("Cost per completed CPP case")
    per_extra = int(re.search(r"each extra completed case costs about €([\d,]+)",
                              costs[2]).group(1).replace(",", ""))
    assert per_extra == pytest.approx(extra_cost / extra_cases, abs=1)


# --- lessons ----------------------------------------------------------------------------------


def test_a_lesson_check_names_what_the_student_did_and_speaks_the_tasks_units():
    lesson = load_lessons()[0]  # sustainment at 24 months ≥ 20 percentage points above A
    assert "20 percentage points" in lesson.task
    [condition] = lesson.conditions
    assert condition.describe().endswith("at least +20 percentage points")
    student = lesson.whatif.with_side("b", lesson.whatif.b.changed({
        **lesson.whatif.b.overrides, "strategies.protected_time.enabled": True}))
    result = lesson.check(run_ensemble(student))
    assert "protected time 2 h/week" in result.message
    assert "implementation leadership" not in result.message
    assert re.search(r"your run: [+−]?\d+(\.\d)? percentage points", result.conditions[0].text())


# --- the state in the URL ---------------------------------------------------------------------


def test_a_link_restores_the_same_what_if():
    whatif = replace(WhatIf(a=Arm("today", {"therapists.annual_turnover": 0.4}),
                            b=Arm("My plan", PROTECT_AND_ROUTE, pinned=True)),
                     replications=7, seed=11, horizon_months=50)
    back = decode(encode(whatif))
    assert back == whatif
    assert back.label("b") == "My plan"


@pytest.mark.parametrize(("text", "key"), [
    ("not-base64!!", "w"),
    (encode(WhatIf()).replace("A", "B", 3)[:-6], "w"),
])
def test_a_damaged_link_gives_one_readable_message(text, key):
    with pytest.raises(ScenarioError) as err:
        decode(text)
    assert str(err.value).startswith(f"link: {key}")


def test_a_hand_edited_link_with_a_bad_value_names_it():
    import base64
    import json

    raw = json.dumps({"a": {"o": {}}, "b": {"o": {"therapists.annual_turnover": 3}},
                      "r": 5}).encode()
    text = base64.urlsafe_b64encode(raw).decode()
    with pytest.raises(ScenarioError) as err:
        decode(text)
    assert "w.b.therapists.annual_turnover" in str(err.value) and "0.9" in str(err.value)


# --- "Why?" ----------------------------------------------------------------------------------


def test_the_why_chart_has_a_bar_per_mechanism_path():
    from impl_sim.analysis.attribution import explain
    from impl_sim.dashboard.whatif import why_figure

    whatif = replace(WhatIf(b=Arm("", {"leaders.style": "implementation_leadership"})),
                     replications=2, horizon_months=48)
    paths = {"mechanisms.leader_routing": {"mechanisms.leader_routing": False},
             "mechanisms.protected_time": {"mechanisms.protected_time": False}}
    result = explain(whatif.scenario(), paths=paths, outcomes=("sustainment_24m",))
    fig = why_figure(result, "sustainment_24m")
    [ax] = fig.axes
    assert len(ax.patches) == len(paths)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert all("mechanisms." not in label for label in labels)  # plain labels, not switches


def test_the_share_of_those_who_started_training_names_the_first_cohort():
    whatif = replace(WhatIf(b=Arm("", {"training.enrolled_share": 0.5})), **SMALL)
    text = dict(zip(KEY_SENTENCES, sentences(run_ensemble(whatif)), strict=False))
    # B enrols half of its posts in the first cohort
    posts = Params().services.count * Params().services.therapists_per_service
    assert f" of the {posts // 2} therapists who started training in the first cohort with B" \
        in text["sustainment_enrolled_24m"]
