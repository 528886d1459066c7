"""Per-browser-session state of the dashboard.

One :class:`DashboardSession` is created by the app's ``Layout`` for each browser session
(``solara.use_memo`` inside the component, never at module level) and handed to the pages
through a Solara context. Two browser tabs therefore never see each other's what-if, results
or live run. Ensembles run in a background thread so the page stays responsive; a newer run
cancels an older one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import solara

from impl_sim.dashboard.ensemble import (
    Arm,
    Cancelled,
    Ensemble,
    WhatIf,
    first_whatif,
    import_yaml,
    pool_executor,
    run_ensemble,
)
from impl_sim.dashboard.live_run import LiveRun
from impl_sim.dashboard.questions import Question
from impl_sim.dashboard.urlstate import PARAM, decode, parse_query
from impl_sim.dashboard.urlstate import query as url_query
from impl_sim.params import ParamError
from impl_sim.scenario.loader import ScenarioError

QUEUE_REFRESH_SECONDS = 1.0


@dataclass
class RunProgress:
    """How far this session's ensemble is, and (while it waits) its place in the queue."""

    done: int
    total: int
    ahead: int = 0  # simulations of other sessions to run before this one's next
    seconds_left: float | None = None

    def text(self) -> str:
        if self.done == 0 and self.ahead > 0:
            wait = (f" — your run starts in about {self.seconds_left:.0f} s"
                    if self.seconds_left is not None else "")
            return (f"Waiting: {self.ahead} simulations of other users come first{wait}. "
                    f"0 of {self.total} futures done")
        return f"Simulating… {self.done} of {self.total} futures"


@dataclass
class DashboardSession:
    """Reactive values of one browser session."""

    whatif: solara.Reactive[WhatIf]
    ensemble: solara.Reactive[Ensemble | None]
    progress: solara.Reactive[RunProgress | None]
    message: solara.Reactive[str | None]  # an error shown on the What-if page
    lesson_id: solara.Reactive[str | None]
    live: solara.Reactive[LiveRun | None]
    live_version: solara.Reactive[int]
    why: solara.Reactive[tuple | None]  # (ensemble, attribution or None while it runs)
    why_progress: solara.Reactive[RunProgress | None]
    teacher: bool = False  # teacher mode (?teacher=1): lessons show the teacher's notes
    background: bool = True  # component tests run ensembles synchronously
    _cancel: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(cls, background: bool = True, search: str | None = None) -> DashboardSession:
        """A new session; ``search`` (the URL's query) restores a shared or reloaded state."""
        session = cls(
            whatif=solara.reactive(first_whatif()), ensemble=solara.reactive(None),
            progress=solara.reactive(None), message=solara.reactive(None),
            lesson_id=solara.reactive(None), live=solara.reactive(None),
            live_version=solara.reactive(0), why=solara.reactive(None),
            why_progress=solara.reactive(None), background=background)
        session.restore(search)
        return session

    def restore(self, search: str | None) -> None:
        """Take the what-if, lesson and teacher mode from a URL query (see urlstate)."""
        query = parse_query(search)
        self.teacher = query.get("teacher", "") in ("1", "true", "yes")
        if query.get("lesson"):
            self.lesson_id.value = query["lesson"]
        if query.get(PARAM):
            try:
                self.whatif.value = decode(query[PARAM])
            except ScenarioError as exc:
                self.message.value = str(exc)

    def query(self) -> str:
        """The URL query that restores this session's state."""
        return url_query(self.whatif.value, lesson=self.lesson_id.value or "",
                         teacher="1" if self.teacher else "")

    def ask(self, question: Question) -> None:
        """One-click question: B becomes A plus the question, and the run starts."""
        self.update(lambda w: w.with_side("b", Arm("", question.apply(w.a.overrides))))
        self.run()

    # -- what-if -----------------------------------------------------------------------------

    @property
    def stale(self) -> bool:
        """The settings changed since the ensemble shown was run."""
        ens = self.ensemble.value
        return ens is not None and ens.whatif != self.whatif.value

    def update(self, change: Callable[[WhatIf], WhatIf]) -> None:
        """Apply a change to the what-if; a bad value shows its message instead."""
        try:
            self.whatif.value = change(self.whatif.value)
            self.message.value = None
        except (ParamError, ScenarioError) as exc:
            self.message.value = str(exc)

    def run(self) -> None:
        """Start an ensemble for the current what-if (cancelling one still running)."""
        whatif = self.whatif.value
        try:
            whatif.scenario()
        except ScenarioError as exc:
            self.message.value = str(exc)
            return
        with self._lock:
            self._cancel.set()
            self._cancel = cancel = threading.Event()
        self.message.value = None
        self.progress.value = RunProgress(0, 2 * whatif.replications)
        if self.background:
            threading.Thread(target=self._work, args=(whatif, cancel), daemon=True).start()
        else:
            self._work(whatif, cancel)

    @property
    def key(self) -> str:
        """Identifies this session in the shared worker pool."""
        return f"session-{id(self)}"

    def _work(self, whatif: WhatIf, cancel: threading.Event) -> None:
        done = threading.Event()  # this ensemble finished (or was cancelled)

        def report(n: int, total: int) -> None:
            if not cancel.is_set() and (n == total or n % 2 == 0):
                self.progress.value = RunProgress(n, total)

        executor = pool_executor(self.key) if self.background else None
        if executor is not None:
            threading.Thread(target=self._show_queue, args=(cancel, done), daemon=True).start()
        try:
            ensemble = run_ensemble(whatif, progress=report, cancel=cancel, executor=executor)
        except Cancelled:
            return
        except (ParamError, ScenarioError) as exc:
            self.message.value = str(exc)
            self.progress.value = None
            return
        except Exception as exc:  # a worker died or the machine ran out of memory
            self.message.value = (f"The simulation stopped ({type(exc).__name__}: {exc}); "
                                  "press Run to try again.")
            self.progress.value = None
            return
        finally:
            done.set()
        if not cancel.is_set():
            self.ensemble.value = ensemble
            self.progress.value = None

    def _show_queue(self, cancel: threading.Event, done: threading.Event) -> None:
        """While nothing of this ensemble has run yet, show its place in the shared queue."""
        from impl_sim.dashboard.pool import shared_pool

        while not done.wait(QUEUE_REFRESH_SECONDS) and not cancel.is_set():
            progress = self.progress.value
            if progress is None or progress.done > 0:
                return
            ahead, seconds = shared_pool().position(self.key)
            self.progress.value = RunProgress(0, progress.total, ahead, seconds)

    def load(self, text: str | bytes, source: str) -> bool:
        """Open a scenario file into A and B; a bad file shows the loader's message."""
        try:
            whatif = import_yaml(text, source)
        except ScenarioError as exc:
            self.message.value = str(exc)
            return False
        self.whatif.value = whatif
        self.message.value = None
        return True

    def load_file(self, path: Path) -> bool:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            self.message.value = f"{path}: cannot read file ({exc})"
            return False
        return self.load(text, str(path))


SessionContext = solara.create_context(None)


def use_session() -> DashboardSession:
    """The session provided by the app's Layout (or a private one for a bare page)."""
    provided = solara.use_context(SessionContext)
    own = solara.use_memo(lambda: None if provided else DashboardSession.create(), [])
    return provided or own
