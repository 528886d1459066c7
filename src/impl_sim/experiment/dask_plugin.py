"""The dask worker plugin that pins every worker's compute threads (imported only with dask)."""

from __future__ import annotations

from typing import Any

from distributed import WorkerPlugin

from impl_sim.experiment.threads import pin_threads


class PinThreads(WorkerPlugin):
    """:func:`~impl_sim.experiment.threads.pin_threads` in every dask worker, those running
    and those that join later (``client.register_plugin(PinThreads())``)."""

    name = "impl-sim-pin-threads"

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads

    def setup(self, worker: Any) -> None:
        pin_threads(self.threads)
