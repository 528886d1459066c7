"""The documentation site builds offline, without warnings, and loads nothing from the web."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_site_builds_strictly_with_the_api_reference_and_no_remote_assets(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(site)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "WARNING" not in done.stderr, done.stderr[-3000:]
    api = (site / "api.html").read_text(encoding="utf-8")
    assert "to_xarray" in api and "discover" in api  # generated from the docstrings
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|img|link)[^>]+(?:src|href)="(https?://[^"]+)"', html)
        remote = [url for url in remote if not url.startswith("http://127.0.0.1")]
        assert not remote, f"{page.name} loads {remote[:3]}"
        assert "fonts.googleapis" not in html, page.name
