"""Fixtures for Solara component tests: a virtual kernel per test, as a browser session has."""

from __future__ import annotations

import pytest

solara_server = pytest.importorskip("solara.server.kernel_context")


@pytest.fixture
def kernel_context():
    """A fresh Solara kernel context (the per-session state container)."""
    from solara.server import kernel
    from solara.server.kernel_context import VirtualKernelContext

    context = VirtualKernelContext(id="impl-sim-test", kernel=kernel.Kernel(),
                                   session_id="session-test")
    try:
        with context:
            yield context
    finally:
        with context:
            context.close()
