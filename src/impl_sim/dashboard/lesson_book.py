"""Lessons as data: ``dashboard/lessons/*.yaml`` → validated :class:`Lesson` objects.

A lesson has a goal, the stylised facts it teaches (EVIDENCE S-ids), a question, a task, hints,
a preset what-if (A and B), a *check* computed from the what-if the student ran, the teacher's
overrides for B that answer it (``solution``), what students should discover, and a note for
the teacher. A bad lesson file ends in one :class:`LessonError` naming the file, the key, the
bad value and what is allowed — the same shape as scenario errors.

File format::

    id: s1-support-is-not-leadership
    title: Why does support alone not sustain CPP?
    evidence: [S1]
    goal: ...
    question: ...
    task: ...
    hints: [..., ...]
    scenario:
      horizon_months: 48        # optional; default from the schema
      replications: 12
      seed: 7                   # optional; default impl_sim.defaults.DEFAULT_SEED
      a: {name: passive_support, overrides: {leaders.style: passive_support}}
      b: {name: your_plan, overrides: {leaders.style: passive_support}}
    check:
      all:
        - {outcome: sustainment_24m, measure: difference, at_least: 0.2}
      success: ...
      not_yet: ...
    solution: {leaders.style: implementation_leadership}
    discover: ...
    teacher_note: ...
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from impl_sim.dashboard.datafile import DataFileError
from impl_sim.dashboard.ensemble import Arm, Ensemble, WhatIf
from impl_sim.dashboard.naming import differences
from impl_sim.dashboard.sentences import say_difference, say_value
from impl_sim.dashboard.wording import outcome_words
from impl_sim.model.outcomes import OUTCOMES
from impl_sim.scenario.loader import (
    ScenarioError,
    parse_yaml_text,
    suggest,
    validate_overrides,
)

LESSON_KEYS = ("id", "title", "evidence", "goal", "question", "task", "hints", "scenario",
               "check", "solution", "discover", "teacher_note")
TEXT_KEYS = ("id", "title", "goal", "question", "task", "discover", "teacher_note")
SCENARIO_KEYS = ("horizon_months", "replications", "seed", "a", "b")
ARM_KEYS = ("name", "overrides")
CHECK_KEYS = ("all", "success", "not_yet")
CONDITION_KEYS = ("outcome", "measure", "at_least", "at_most")
MEASURES = {"difference": "B − A", "a": "A", "b": "B"}
# Placeholder in check.success / check.not_yet replaced by what the student changed.
CHANGE_SLOT = "{change}"
EVIDENCE_IDS = tuple(f"S{i}" for i in range(1, 12))


class LessonError(DataFileError):
    """A bad lesson file: names the file, the key, the value and what is allowed."""


@dataclass(frozen=True)
class Condition:
    """One comparison: a measure of an outcome against a threshold."""

    outcome: str
    measure: str  # difference | a | b
    at_least: float | None = None
    at_most: float | None = None

    def describe(self) -> str:
        """In the task's words and units: ``B − A, sustainment …: at least +20 percentage
        points``."""
        limit = self.at_least if self.at_least is not None else self.at_most
        assert limit is not None
        bound = "at least" if self.at_least is not None else "at most"
        return (f"{MEASURES[self.measure]}, {outcome_words(self.outcome).plain}: {bound} "
                f"{self.say(limit)}")

    def say(self, x: float) -> str:
        """A value of this condition's measure in words and units."""
        if self.measure == "difference":
            return say_difference(self.outcome, x)
        return say_value(self.outcome, x)

    def value(self, ens: Ensemble) -> float:
        a, b = ens.arms
        if self.measure == "difference":
            return ens.difference(self.outcome)["mean"]
        arm = a if self.measure == "a" else b
        return ens.mean_table()[arm][self.outcome]["mean"]

    def holds(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.at_least is not None and value < self.at_least:
            return False
        return not (self.at_most is not None and value > self.at_most)


@dataclass(frozen=True)
class ConditionResult:
    condition: Condition
    value: float
    passed: bool

    def text(self) -> str:
        mark = "✓" if self.passed else "✗"
        shown = "not measurable" if math.isnan(self.value) else self.condition.say(self.value)
        return f"{mark} {self.condition.describe()} — your run: {shown}"


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    message: str
    conditions: tuple[ConditionResult, ...]


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    evidence: tuple[str, ...]
    goal: str
    question: str
    task: str
    hints: tuple[str, ...]
    whatif: WhatIf
    conditions: tuple[Condition, ...]
    success: str
    not_yet: str
    solution: Mapping[str, Any]
    discover: str
    teacher_note: str
    source: str

    def check(self, ens: Ensemble) -> CheckResult:
        """Evaluate the check on the student's ensemble (whatever they set A and B to).

        The message names what the student changed (``{change}`` in the lesson's texts).
        """
        results = tuple(ConditionResult(c, v, c.holds(v))
                        for c in self.conditions for v in [c.value(ens)])
        passed = all(r.passed for r in results)
        text = self.success if passed else self.not_yet
        return CheckResult(passed, text.replace(CHANGE_SLOT, self.change(ens)), results)

    def change(self, ens: Ensemble) -> str:
        """What the student changed from the lesson's preset, in words."""
        b = differences(self.whatif.b.overrides, ens.whatif.b.overrides)
        a = differences(self.whatif.a.overrides, ens.whatif.a.overrides)
        said = " + ".join(b) if b else "B as the lesson set it (nothing changed yet)"
        return said + (f" (and A changed: {' + '.join(a)})" if a else "")

    def solved_whatif(self) -> WhatIf:
        """The preset with the teacher's solution applied to B."""
        b = self.whatif.b
        return replace(self.whatif, b=Arm(b.name, {**b.overrides, **self.solution}))


# --- loading and validation ------------------------------------------------------------------


def lessons_dir() -> Path:
    return Path(str(resources.files("impl_sim.dashboard") / "lessons"))


def load_lessons(directory: Path | None = None) -> list[Lesson]:
    """Every lesson file in ``directory`` (default: the packaged lessons), sorted by file."""
    folder = directory or lessons_dir()
    return [load_lesson(p) for p in sorted(folder.glob("*.yaml"))]


def load_lesson(path: Path) -> Lesson:
    source = str(path)
    try:
        doc = parse_yaml_text(path.read_text(encoding="utf-8"), source)
    except ScenarioError as exc:
        raise LessonError(source, exc.key, exc.problem) from None
    return parse_lesson(doc, source)


def parse_lesson(doc: Any, source: str) -> Lesson:
    """Validate a parsed lesson document."""
    _mapping(source, "", doc, LESSON_KEYS, required=LESSON_KEYS)
    for key in TEXT_KEYS:
        _text(source, key, doc[key])
    hints = doc["hints"]
    if not isinstance(hints, list) or not hints:
        raise LessonError(source, "hints", "expected a non-empty list of hints")
    for i, hint in enumerate(hints):
        _text(source, f"hints[{i}]", hint)
    evidence = doc["evidence"]
    if not isinstance(evidence, list) or not evidence or any(e not in EVIDENCE_IDS
                                                             for e in evidence):
        raise LessonError(source, "evidence", f"{evidence!r} is not allowed; expected a list "
                          f"of stylised-fact ids ({EVIDENCE_IDS[0]}–{EVIDENCE_IDS[-1]})")
    whatif = _whatif(source, doc["scenario"], doc["id"])
    check = doc["check"]
    _mapping(source, "check", check, CHECK_KEYS, required=CHECK_KEYS)
    for key in ("success", "not_yet"):
        _text(source, f"check.{key}", check[key])
    conditions = _conditions(source, check["all"])
    solution = _overrides(source, "solution", doc["solution"])
    return Lesson(
        id=doc["id"], title=doc["title"], evidence=tuple(evidence), goal=doc["goal"].strip(),
        question=doc["question"].strip(), task=doc["task"].strip(),
        hints=tuple(h.strip() for h in hints), whatif=whatif, conditions=conditions,
        success=check["success"].strip(), not_yet=check["not_yet"].strip(),
        solution=solution, discover=doc["discover"].strip(),
        teacher_note=doc["teacher_note"].strip(), source=source)


def _mapping(source: str, key: str, value: Any, allowed: tuple[str, ...],
             required: tuple[str, ...] = ()) -> None:
    if not isinstance(value, Mapping):
        raise LessonError(source, key, f"expected a mapping with keys: {', '.join(allowed)}")
    prefix = f"{key}." if key else ""
    for k in value:
        if k not in allowed:
            raise LessonError(source, f"{prefix}{k}", f"unknown key{suggest(str(k), allowed)}; "
                              f"allowed: {', '.join(allowed)}")
    for k in required:
        if k not in value:
            raise LessonError(source, f"{prefix}{k}", "missing")


def _text(source: str, key: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise LessonError(source, key, f"{value!r} is not allowed; expected non-empty text")


def _overrides(source: str, key: str, value: Any) -> dict[str, Any]:
    """Parameter overrides, checked by the scenario loader's one override validator."""
    try:
        return validate_overrides(source, key, value)
    except ScenarioError as exc:
        raise LessonError(source, exc.key, exc.problem) from None


def _whatif(source: str, value: Any, lesson_id: str) -> WhatIf:
    _mapping(source, "scenario", value, SCENARIO_KEYS, required=("a", "b"))
    arms = []
    for side in ("a", "b"):
        key = f"scenario.{side}"
        _mapping(source, key, value[side], ARM_KEYS, required=ARM_KEYS)
        name = value[side]["name"]
        _text(source, f"{key}.name", name)
        arms.append(Arm(name, _overrides(source, f"{key}.overrides",
                                         value[side]["overrides"])))
    settings = {k: value[k] for k in ("horizon_months", "replications", "seed") if k in value}
    whatif = WhatIf(a=arms[0], b=arms[1], name=lesson_id, **settings)
    try:
        whatif.scenario()  # same validation as a scenario file
    except ScenarioError as exc:
        raise LessonError(source, f"scenario ({exc.key})", exc.problem) from None
    return whatif


def _conditions(source: str, value: Any) -> tuple[Condition, ...]:
    if not isinstance(value, list) or not value:
        raise LessonError(source, "check.all", "expected a non-empty list of conditions")
    out = []
    for i, item in enumerate(value):
        key = f"check.all[{i}]"
        _mapping(source, key, item, CONDITION_KEYS, required=("outcome", "measure"))
        if item["outcome"] not in OUTCOMES:
            raise LessonError(source, f"{key}.outcome", f"unknown outcome {item['outcome']!r}"
                              f"{suggest(str(item['outcome']), list(OUTCOMES))}")
        if item["measure"] not in MEASURES:
            raise LessonError(source, f"{key}.measure", f"{item['measure']!r} is not allowed; "
                              f"expected one of {', '.join(MEASURES)}")
        bounds = [item.get("at_least"), item.get("at_most")]
        given = [b for b in bounds if b is not None]
        if len(given) != 1 or not all(isinstance(b, int | float) and not isinstance(b, bool)
                                      for b in given):
            raise LessonError(source, key, "expected exactly one number: at_least or at_most")
        out.append(Condition(item["outcome"], item["measure"],
                             *(None if b is None else float(b) for b in bounds)))
    return tuple(out)
