"""The dashboard in a real browser: offline, interactive, reproducible, per-session."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from impl_sim.dashboard.whatif import fmt_number
from impl_sim.params import param_specs

pytestmark = pytest.mark.browser


def open_page(context, url: str):
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(".impl-nav")
    return page


def wait_for_results(page) -> None:
    """Results shown, nothing running, and they belong to the current settings."""
    page.wait_for_selector(".impl-sentences-box")
    page.wait_for_selector(".impl-progress", state="detached")
    page.wait_for_selector(".impl-stale", state="detached")


def choose(page, scope: str, label: str, option: str) -> None:
    """Pick ``option`` in the Vuetify select labelled ``label`` inside ``scope``."""
    page.locator(f"{scope} .v-select").filter(has_text=label).first.click()
    menu = page.locator(".menuable__content__active .v-list-item")
    menu.filter(has_text=re.compile(rf"^\s*{re.escape(option)}\s*$")).first.click()


def run(page) -> None:
    """Press Run after a change; done when the results match the settings again (a cached
    run can finish before any progress bar could be seen, so wait on the stale marker)."""
    page.wait_for_selector(".impl-stale")
    page.locator(".impl-run").first.click()
    wait_for_results(page)


def table(page) -> dict[tuple[str, str], str]:
    cells = page.eval_on_selector_all(
        "td[data-outcome]", "els => els.map(e => [e.dataset.arm, e.dataset.outcome, "
        "e.dataset.mean])")
    return {(arm, outcome): mean for arm, outcome, mean in cells}


def full_screenshot(page, path) -> None:
    """The whole page in one image (a viewport as tall as the page keeps the bar on top)."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(height, 12000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})


def figure_sources(page) -> list[str]:
    return page.eval_on_selector_all("img", "els => els.map(e => e.src)")


def test_every_page_loads_with_no_request_leaving_this_computer(new_context, dashboard_url,
                                                                 artifacts):
    context, requests = new_context()
    page = open_page(context, dashboard_url + "/")
    wait_for_results(page)
    assert "With B, about" in page.inner_text(".impl-sentences-box")
    full_screenshot(page, artifacts / "whatif.png")
    page.click(".impl-tab-parameters")
    page.wait_for_selector("table.impl-params")
    rows = page.locator("table.impl-params tr").count()
    assert rows == len(param_specs()) + 1
    full_screenshot(page, artifacts / "parameters.png")
    page.click(".impl-tab-lessons")
    page.wait_for_selector(".impl-load-lesson")
    page.click(".impl-tab-explore")
    page.wait_for_selector(".impl-counts")
    assert requests.urls, "the page made no requests at all?"
    assert requests.external() == []


def test_moving_a_control_and_pressing_run_changes_the_plotted_result(new_context,
                                                                      dashboard_url):
    context, _ = new_context()
    page = open_page(context, dashboard_url + "/")
    wait_for_results(page)
    before_table, before_figures = table(page), figure_sources(page)
    # B starts as implementation leadership; make it passive support
    choose(page, ".impl-side-b", "Leadership style", "passive_support")
    run(page)
    after_table, after_figures = table(page), figure_sources(page)
    b = "implementation_leadership"  # the arm keeps its name
    assert float(after_table[(b, "sustainment_24m")]) < float(
        before_table[(b, "sustainment_24m")])
    assert after_table[("today", "sustainment_24m")] == before_table[
        ("today", "sustainment_24m")]
    assert after_figures != before_figures


def test_the_downloaded_scenario_reproduces_the_page_numbers_in_the_cli(new_context,
                                                                         dashboard_url,
                                                                         tmp_path):
    context, _ = new_context()
    page = open_page(context, dashboard_url + "/")
    wait_for_results(page)
    choose(page, ".impl-side-a", "Leadership style", "passive_support")
    run(page)
    shown = table(page)
    with page.expect_download() as download:
        page.get_by_text("Download scenario").click()
    exported = tmp_path / download.value.suggested_filename
    download.value.save_as(exported)
    cli = subprocess.run([sys.executable, "-m", "impl_sim", "run", str(exported), "--json",
                          "--out", str(tmp_path / "results")],
                         capture_output=True, text=True, check=True)
    arms = json.loads(cli.stdout)["arms"]
    assert set(arms) == {"today", "implementation_leadership"}
    compared = 0
    for arm, outcomes in arms.items():
        for outcome, stats in outcomes.items():
            assert fmt_number(stats["mean"]) == shown[(arm, outcome)], (arm, outcome)
            compared += 1
    assert compared == len(shown)


def test_a_lesson_check_reacts_to_the_students_run(new_context, dashboard_url, artifacts):
    context, _ = new_context()
    page = open_page(context, dashboard_url + "/lessons")
    page.click(".impl-load-lesson")
    page.wait_for_selector(".impl-check-open")  # lesson 1: A and B both passive support
    choose(page, ".impl-side-b", "Leadership style", "implementation_leadership")
    run(page)
    page.wait_for_selector(".impl-check-pass")
    assert "Check: passed" in page.inner_text(".impl-check")
    full_screenshot(page, artifacts / "lessons.png")


def test_two_browser_sessions_keep_separate_state(new_context, dashboard_url):
    first, _ = new_context()
    second, _ = new_context()
    page1 = open_page(first, dashboard_url + "/")
    page2 = open_page(second, dashboard_url + "/")
    wait_for_results(page1)
    wait_for_results(page2)
    choose(page1, ".impl-side-b", "Leadership style", "passive_support")
    page1.wait_for_selector(".impl-stale")
    style2 = page2.locator(".impl-side-b .v-select").filter(has_text="Leadership style")
    assert "implementation_leadership" in style2.first.inner_text()
    assert page2.locator(".impl-stale").count() == 0


def month(page) -> int:
    return int(re.search(r"Month (\d+)", page.inner_text(".impl-month")).group(1))


def test_explore_steps_and_plays_one_run(new_context, dashboard_url, artifacts):
    context, _ = new_context()
    page = open_page(context, dashboard_url + "/explore")
    page.wait_for_selector(".impl-month")
    assert month(page) == 0
    page.click(".impl-step")
    page.wait_for_function("() => document.querySelector('.impl-month').innerText"
                           ".startsWith('Month 1 ')")
    page.click(".impl-play")
    page.wait_for_function("() => parseInt(document.querySelector('.impl-month').innerText"
                           ".replace(/\\D+/, '')) >= 6")
    page.click(".impl-play")  # pause
    page.wait_for_selector(".impl-play:has-text('Play')")
    paused_at = month(page)
    page.wait_for_timeout(1500)
    assert month(page) == paused_at
    page.wait_for_selector(".impl-therapist")
    full_screenshot(page, artifacts / "explore.png")
