"""One-click questions as data: ``dashboard/questions.yaml`` → validated :class:`Question`.

A question sets B to A's settings plus its own (``set``), so B differs from A by exactly the
question. A bad file ends in one :class:`QuestionError` naming the file, the key, the bad value
and what is allowed, like scenario and lesson errors. Plain Python (no Solara).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from impl_sim.dashboard.datafile import DataFileError
from impl_sim.params import ParamError, Params
from impl_sim.scenario.loader import ScenarioError, parse_yaml_text, suggest

QUESTION_KEYS = ("id", "label", "question", "set", "name")
REQUIRED_KEYS = ("id", "label", "question", "set")


class QuestionError(DataFileError):
    """A bad questions file: names the file, the key, the value and what is allowed."""


@dataclass(frozen=True)
class Question:
    """A leader's question: the button label, the question in full, and what it sets in B."""

    id: str
    label: str
    question: str
    settings: Mapping[str, Any]
    name: str = ""  # B's name when it differs from A by exactly these settings

    def apply(self, a_overrides: Mapping[str, Any]) -> dict[str, Any]:
        """B's overrides: A's settings plus this question's."""
        return {**a_overrides, **self.settings}


def questions_file() -> Path:
    return Path(str(resources.files("impl_sim.dashboard") / "questions.yaml"))


@lru_cache(maxsize=4)
def load_questions(path: Path | None = None) -> tuple[Question, ...]:
    """The questions in ``path`` (default: the packaged file), in file order."""
    source = str(path or questions_file())
    try:
        doc = parse_yaml_text(Path(source).read_text(encoding="utf-8"), source)
    except ScenarioError as exc:
        raise QuestionError(source, exc.key, exc.problem) from None
    except OSError as exc:
        raise QuestionError(source, "", f"cannot read file ({exc.strerror})") from None
    return parse_questions(doc, source)


def parse_questions(doc: Any, source: str) -> tuple[Question, ...]:
    """Validate a parsed questions document (a list of mappings)."""
    if not isinstance(doc, list) or not doc:
        raise QuestionError(source, "", "expected a non-empty list of questions")
    out: list[Question] = []
    for i, item in enumerate(doc):
        out.append(_question(source, f"[{i}]", item))
    ids = [q.id for q in out]
    for i, qid in enumerate(ids):
        if qid in ids[:i]:
            raise QuestionError(source, f"[{i}].id", f"{qid!r} is used twice; ids must differ")
    return tuple(out)


def _question(source: str, where: str, item: Any) -> Question:
    if not isinstance(item, Mapping):
        raise QuestionError(source, where, f"expected a mapping with keys: "
                            f"{', '.join(QUESTION_KEYS)}")
    for key in item:
        if key not in QUESTION_KEYS:
            raise QuestionError(source, f"{where}.{key}", f"unknown key"
                                f"{suggest(str(key), QUESTION_KEYS)}; allowed: "
                                f"{', '.join(QUESTION_KEYS)}")
    for key in REQUIRED_KEYS:
        if key not in item:
            raise QuestionError(source, f"{where}.{key}", "missing")
    for key in ("id", "label", "question", "name"):
        if key in item and (not isinstance(item[key], str) or not item[key].strip()):
            raise QuestionError(source, f"{where}.{key}", f"{item[key]!r} is not allowed; "
                                "expected non-empty text")
    settings = item["set"]
    if not isinstance(settings, Mapping) or not settings:
        raise QuestionError(source, f"{where}.set", "expected a non-empty mapping of "
                            "parameter: value")
    try:
        Params.from_overrides(settings)
    except ParamError as exc:
        raise QuestionError(source, f"{where}.set.{exc.key}", str(exc)) from None
    return Question(item["id"].strip(), item["label"].strip(), item["question"].strip(),
                    dict(settings), item.get("name", "").strip())


def named_settings() -> list[tuple[Mapping[str, Any], str]]:
    """(settings, name) of every question with a name, for naming B after the question."""
    return [(q.settings, q.name) for q in load_questions() if q.name]
