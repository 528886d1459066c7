"""Real-browser fixtures: the dashboard served by `impl-sim dashboard`, Debian's Chromium.

Never runs `playwright install`: the tests use /usr/bin/chromium and skip without it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
SERVER_START_SECONDS = 90


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `impl-sim dashboard` on a free localhost port; stop it (and solara) at the end."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("solara")
    home = tmp_path_factory.mktemp("dashboard-home")
    port = _free_port()
    env = {**os.environ, "SOLARA_HOME": str(home / "solara"), "MPLCONFIGDIR": str(home / "mpl"),
           "MPLBACKEND": "Agg"}
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "impl_sim", "dashboard", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(url, server, home / "server.log")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _wait_until_answering(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"dashboard server exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"dashboard did not answer within {SERVER_START_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def browser(dashboard_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class RequestLog:
    """Every request a browser context makes (to prove the page works offline)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def record(self, request) -> None:
        self.urls.append(request.url)

    def external(self) -> list[str]:
        return [u for u in self.urls if not is_local(u)]


def is_local(url: str) -> bool:
    if url.startswith("data:"):
        return True
    if url.startswith("blob:"):  # blob:http://127.0.0.1:port/uuid — made by the page itself
        url = url[len("blob:"):]
    return urlparse(url).hostname in LOCAL_HOSTS


@pytest.fixture
def new_context(browser):
    """Factory of fresh browser contexts (separate cookies = separate dashboard sessions)."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      accept_downloads=True)
        context.set_default_timeout(90_000)
        requests = RequestLog()
        context.on("request", requests.record)
        contexts.append(context)
        return context, requests

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
