"""The dashboard in a real browser: offline, question first, honest names, live, phones,
reloads, the file picker, reproducible, per session.

Every wait is for a state on the page (results shown, a month counter, a name), never a fixed
time; timeouts are generous because CI machines are busy.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from impl_sim.dashboard.whatif import fmt_number
from impl_sim.dashboard.wording import CHOICE_WORDS
from impl_sim.params import Params, param_specs

pytestmark = pytest.mark.browser
STYLE = "What leaders do about CPP"  # the plain label of leaders.style
WIDTHS = (1440, 1024, 390)


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


def open_table(page) -> None:
    page.get_by_text("All outcomes (table)").click()
    page.wait_for_selector("td[data-outcome]")


def label_b(page) -> str:
    return page.inner_text(".impl-side-b .impl-side-name")


def screenshots(page, artifacts, name: str) -> None:
    """The page at a laptop, a small laptop and a phone width (looked at by the developer)."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_function(f"() => window.innerWidth === {width}")
        page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_every_page_loads_with_no_request_leaving_this_computer(new_context, dashboard_url,
                                                                 artifacts):
    context, requests = new_context()
    page = open_page(context, dashboard_url + "/")
    wait_for_results(page)
    assert page.evaluate("document.documentElement.lang") == "en"
    alts = page.eval_on_selector_all(".impl-figure img", "els => els.map(e => e.alt)")
    assert len(alts) == 2 and all(len(alt) > 40 for alt in alts)
    screenshots(page, artifacts, "whatif")
    page.click(".impl-tab-parameters")
    page.wait_for_selector("table.impl-params")
    assert page.locator("table.impl-params tr").count() == len(param_specs()) + 1
    screenshots(page, artifacts, "parameters")
    page.click(".impl-tab-lessons")
    page.wait_for_selector(".impl-load-lesson")
    screenshots(page, artifacts, "lessons")
    page.click(".impl-tab-explore")
    page.wait_for_selector(".impl-counts")
    page.wait_for_selector(".impl-node")
    screenshots(page, artifacts, "explore")
    assert requests.urls, "the page made no requests at all?"
    assert requests.external() == []


def test_an_unchanged_b_says_no_clear_difference(new_context, dashboard_url):
    context, _ = new_context()
    page = open_page(context, dashboard_url + "/")
    wait_for_results(page)
    assert label_b(page) == "today (unchanged copy)"
    text = page.inner_text(".impl-sentences-box")
    assert text.count("no clear difference") >= 5
    assert "better" not in text


def test_a_one_click_question_changes_b_and_its_name(new_context, dashboard_url):
    context, _ = new_context()
    page = open_page(context, dashboard_url + "/")
    wait_for_results(page)
    page.click(".impl-question-route-families")
    page.wait_for_function("() => document.querySelector('.impl-label-b') && document"
                           ".querySelector('.impl-label-b').innerText.includes('central "
                           "routing')")
    wait_for_results(page)
    assert label_b(page) == "today + central routing"
    assert page.inner_text(".impl-label-a") == "today"
    switch = page.locator(".impl-side-b .v-input--switch").filter(
        has_text="Central case routing").first
    assert "v-input--is-label-active" in switch.get_attribute("class")


def test_reload_restores_the_comparison(new_context, dashboard_url):
    context, _ = new_context()
    page = open_page(context, dashboard_url + "/")
    wait_for_results(page)
    before = page.evaluate("location.search")
    page.click(".impl-question-protect-time")
    page.wait_for_function("before => location.search !== before", arg=before)
    page.reload()
    page.wait_for_selector(".impl-side-b .impl-side-name")
    assert label_b(page) == "today + protected time 2 h/week"
    wait_for_results(page)
    assert page.inner_text(".impl-label-b") == "today + protected time 2 h/week"


def test_the_phone_layout_stacks_a_over_b_without_horizontal_overflow(new_context,
                                                                      dashboard_url):
    context, _ = new_context()
    page = open_page(context, dashboard_url + "/")
    wait_for_results(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function("() => window.innerWidth === 390")
    a = page.locator(".impl-side-a").bounding_box()
    b = page.locator(".impl-side-b").bounding_box()
    assert b["y"] >= a["y"] + a["height"] - 1  # B below A
    assert a["width"] > 300 and b["width"] > 300  # each nearly the full width
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_file_picker_loads_a_scenario(new_context, dashboard_url, tmp_path):
    context, _ = new_context()
    page = open_page(context, dashboard_url + "/")
    wait_for_results(page)
    path = tmp_path / "picked.yaml"
    path.write_text("name: picked\nreplications: 4\narms:\n  our_service: "
                    "{therapists.annual_turnover: 0.4}\n  with_booster: "
                    "{therapists.annual_turnover: 0.4, strategies.booster_consultation: "
                    "{enabled: true}}\n", encoding="utf-8")
    page.get_by_text("Open or download a scenario file").click()
    page.set_input_files(".impl-file-input", str(path))
    page.wait_for_function("() => document.querySelector('.impl-side-b .impl-side-name')"
                           ".innerText === 'with_booster'")
    assert page.inner_text(".impl-side-a .impl-side-name") == "our_service"
    assert page.locator(".impl-message").count() == 0


def test_the_downloaded_scenario_reproduces_the_page_numbers_in_the_cli(new_context,
                                                                         dashboard_url,
                                                                         tmp_path):
    context, _ = new_context()
    page = open_page(context, dashboard_url + "/")
    wait_for_results(page)
    choose(page, ".impl-side-a", STYLE, CHOICE_WORDS["passive_support"])
    run(page)
    open_table(page)
    shown = table(page)
    page.get_by_text("Open or download a scenario file").click()
    with page.expect_download() as download:
        page.get_by_text("Download scenario").click()
    exported = tmp_path / download.value.suggested_filename
    download.value.save_as(exported)
    cli = subprocess.run([sys.executable, "-m", "impl_sim", "run", str(exported), "--json",
                          "--out", str(tmp_path / "results")],
                         capture_output=True, text=True, check=True, timeout=600)
    arms = json.loads(cli.stdout)["arms"]
    assert set(arms) == {arm for arm, _ in shown}
    compared = 0
    for arm, outcomes in arms.items():
        for outcome, stats in outcomes.items():
            if (arm, outcome) in shown:
                assert fmt_number(stats["mean"]) == shown[(arm, outcome)], (arm, outcome)
                compared += 1
    assert compared == len(shown)


def test_a_lesson_check_reacts_to_the_students_run_and_names_the_change(new_context,
                                                                          dashboard_url):
    context, _ = new_context()
    page = open_page(context, dashboard_url + "/lessons")
    page.click(".impl-load-lesson")
    page.wait_for_selector(".impl-check-open")  # lesson 1: A and B both passive support
    assert page.locator(".impl-teacher").count() == 0  # students do not see the answer
    choose(page, ".impl-side-b", STYLE, CHOICE_WORDS["implementation_leadership"])
    run(page)
    page.wait_for_selector(".impl-check-pass")
    check = page.inner_text(".impl-check")
    assert "Check: passed" in check and "implementation leadership" in check
    assert "percentage points" in check


def test_two_browser_sessions_keep_separate_state(new_context, dashboard_url):
    first, _ = new_context()
    second, _ = new_context()
    page1 = open_page(first, dashboard_url + "/")
    page2 = open_page(second, dashboard_url + "/")
    wait_for_results(page1)
    wait_for_results(page2)
    choose(page1, ".impl-side-b", STYLE, CHOICE_WORDS["passive_support"])
    page1.wait_for_selector(".impl-stale")
    assert "passive leaders" in label_b(page1)
    assert label_b(page2) == "today (unchanged copy)"
    assert page2.locator(".impl-stale").count() == 0


def month(page) -> int:
    return int(re.search(r"Month (\d+)", page.inner_text(".impl-month")).group(1))


def test_explore_steps_plays_visibly_and_selects_a_clicked_therapist(new_context,
                                                                     dashboard_url):
    context, _ = new_context()
    page = open_page(context, dashboard_url + "/explore")
    page.wait_for_selector(".impl-node")
    assert month(page) == 0
    page.click(".impl-step")
    page.wait_for_function("() => document.querySelector('.impl-month').innerText"
                           ".startsWith('Month 1 ')")
    page.click(".impl-play")
    # Play advances the month counter within 3 s (the issue: nothing for 30 s, then month 60)
    page.wait_for_function("() => parseInt(document.querySelector('.impl-month').innerText"
                           ".replace(/\\D+/, '')) >= 3", timeout=3_000 + 10_000)
    page.click(".impl-play")  # pause
    page.wait_for_selector(".impl-play:has-text('Play')")
    paused_at = month(page)
    counts = page.inner_text(".impl-counts")
    posts = Params().services.count * Params().services.therapists_per_service
    assert re.search(rf"Therapist posts \({posts}\)", counts)
    page.click(".impl-node[data-slot='23']")
    page.wait_for_function("() => document.body.innerText.includes('post 23 · service 3')")
    assert month(page) == paused_at


def test_the_plan_page_returns_a_frontier_and_a_recommendation(new_context, dashboard_url):
    context, requests = new_context()
    page = open_page(context, dashboard_url + "/plan")
    page.click(".impl-plan-search")
    page.wait_for_selector(".impl-plan-sentence", timeout=600_000)  # every bundle × future
    sentence = page.inner_text(".impl-plan-sentence")
    assert "robust choice" in sentence or "no bundle beats today" in sentence
    assert page.locator(".impl-frontier tr").count() >= 3  # header + at least two bundles
    alt = page.get_attribute(".impl-plan-figure img", "alt")
    assert "frontier" in alt
    assert requests.external() == []
