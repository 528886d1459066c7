"""The Lessons page: guided exercises for courses, with a check computed from the student's run.

Lessons are data files (``dashboard/lessons/*.yaml``, see :mod:`lesson_book`). Loading a lesson
puts its preset into this session's what-if; the check is evaluated on whatever the student
then runs.
"""

from __future__ import annotations

import html

import solara

from impl_sim.dashboard.lesson_book import Lesson, load_lessons
from impl_sim.dashboard.session import DashboardSession, use_session
from impl_sim.dashboard.whatif import Workspace


def _paragraph(title: str, text: str) -> str:
    return f"<p><b>{html.escape(title)}</b> {html.escape(text)}</p>"


@solara.component
def LessonText(lesson: Lesson, teacher: bool):
    """Goal, question and task (the check follows right after Run); hints one at a time; the
    teacher's notes only in teacher mode (``?teacher=1``, see docs/teaching/guide.md)."""
    hints_shown, set_hints_shown = solara.use_state(0)
    solara.use_effect(lambda: set_hints_shown(0), [lesson.id])
    solara.HTML(tag="h3", unsafe_innerHTML=html.escape(lesson.title))
    solara.HTML(tag="div", unsafe_innerHTML=_paragraph("Goal.", lesson.goal)
                + _paragraph("Question.", lesson.question) + _paragraph("Your task.", lesson.task),
                classes=["impl-lesson-text"], style={"max-width": "60em"})
    for hint in lesson.hints[:hints_shown]:
        solara.Info(hint, dense=True)
    if hints_shown < len(lesson.hints):
        solara.Button(f"Show a hint ({hints_shown + 1} of {len(lesson.hints)})", text=True,
                      on_click=lambda: set_hints_shown(hints_shown + 1))
    if teacher:
        with solara.Details("For teachers: what students should discover, and a note"):
            solara.HTML(tag="div", unsafe_innerHTML=_paragraph("Discover.", lesson.discover)
                        + _paragraph("Teacher's note.", lesson.teacher_note)
                        + _paragraph("Evidence.", ", ".join(lesson.evidence)
                                     + " (docs/evidence-map.md)"),
                        classes=["impl-teacher"])


@solara.component
def CheckPanel(session: DashboardSession, lesson: Lesson):
    """The lesson's check on the student's last run."""
    ens = session.ensemble.value
    if ens is None:
        solara.Info("Run the simulation to see the check.")
        return
    if session.progress.value is not None:
        solara.Info("Running… the check updates when the run finishes.")
        return
    result = lesson.check(ens)
    details = "".join(f"<li>{html.escape(r.text())}</li>" for r in result.conditions)
    stale = (" (The settings changed since this run — press Run to check your change.)"
             if session.stale else "")
    box = solara.Success if result.passed else solara.Warning
    with box(classes=["impl-check", "impl-check-pass" if result.passed else "impl-check-open"]):
        verdict = "passed" if result.passed else "not yet"
        solara.HTML(tag="div", unsafe_innerHTML=f"<b>Check: {verdict}.</b> "
                    f"{html.escape(result.message)}{html.escape(stale)}<ul>{details}</ul>")


@solara.component
def Page():
    session = use_session()
    lessons = solara.use_memo(load_lessons, [])
    titles = [f"{i + 1}. {lesson.title}" for i, lesson in enumerate(lessons)]
    chosen = next((i for i, lesson in enumerate(lessons) if lesson.id == session.lesson_id.value),
                  0)
    index, set_index = solara.use_state(chosen)
    lesson = lessons[index]

    def load() -> None:
        session.whatif.value = lesson.whatif
        session.lesson_id.value = lesson.id
        session.run()

    solara.Title("impl-sim · Lessons")
    solara.HTML(tag="h2", unsafe_innerHTML="Lessons")
    solara.Text("Guided exercises for courses. Each lesson loads a preset into A and B; change "
                "B as the task says, press Run, and the check tells you whether the simulation "
                "shows what the lesson is about.", style={"max-width": "60em"})
    solara.Select("Lesson", values=titles, value=titles[index],
                  on_value=lambda t: set_index(titles.index(t)), style={"max-width": "640px"})
    LessonText(lesson, session.teacher)
    loaded = session.lesson_id.value == lesson.id
    solara.Button("Reload the preset" if loaded else "Load this lesson", on_click=load,
                  color="primary", classes=["impl-load-lesson"])
    if loaded:
        Workspace(session, below_run=lambda: CheckPanel(session, lesson), questions=False)
    else:
        solara.Info("Load the lesson to get its preset and, after a run, its check.")
