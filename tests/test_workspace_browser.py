"""The reviewer workspace in a real browser: Chromium (the system's, driven by Playwright) against
`lsr review --reviewer NAME --port N` running on a copy of the bundled review, as a reviewer uses it."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from lsr import reviewers
from lsr.sources import read_ris
from lsr.tsv import read_tsv

CHROMIUM = os.environ.get("LSR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (.ci/run installs it with apt-get)")
TA, FT = reviewers.TITLE_ABSTRACT, reviewers.FULL_TEXT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def workspace(root: Path, reviewer: str):
    """`lsr review --reviewer <reviewer> --port N` in `root`, as a user starts it; yields its URL."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "lsr", "review", "--reviewer", reviewer, "--port", str(port)],
                              cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise AssertionError(server.stdout.read())
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


def decisions(root: Path, reviewer: str) -> list[dict]:
    path = root / "config/screening/decisions" / f"{reviewer}.tsv"
    return read_tsv(path, required=reviewers.REQUIRED_DECISION_COLUMNS, allow_comments=True) if path.exists() else []


def press(page, *keys: str) -> None:
    """Press keys; the last one submits a decision, so wait for the page it leads to."""
    for key in keys[:-1]:
        page.keyboard.press(key)
    with page.expect_navigation():
        page.keyboard.press(keys[-1])


def shown(page) -> str:
    return page.get_attribute("#record", "data-record")


def results_state(root: Path) -> dict:
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted((root / "results").rglob("*")) if p.is_file()}


def test_keyboard_screening_writes_the_right_rows(built_review, browser):
    page = browser.new_page()
    with workspace(built_review, "ann") as url:
        page.goto(url)
        first = shown(page)
        assert page.inner_text("#left") == "8" and page.inner_text("#decided") == "0"
        assert page.locator("#title mark, #abstract mark").count() > 0           # matched words highlighted
        press(page, "i")                                                          # the contract
        assert [(r["pmid"], r["stage"], r["decision"]) for r in decisions(built_review, "ann")] == [
            (first.removeprefix("pmid:"), TA, "include")]
        assert shown(page) != first and page.inner_text("#decided") == "1"
        second = shown(page)
        page.keyboard.press("e")
        assert page.locator("#reasons").is_visible()
        reason = page.locator('#reasons [data-key="4"]').get_attribute("value")
        press(page, "4")
        third = shown(page)
        press(page, "m")
        fourth = shown(page)
        with page.expect_navigation():
            page.keyboard.press("j")                                              # skip ahead, then back
        assert shown(page) != fourth
        with page.expect_navigation():
            page.keyboard.press("k")
        assert shown(page) == fourth
        press(page, "u")                                                          # undo the maybe
        assert shown(page) == third
        page.keyboard.press("?")
        assert page.locator("#help").is_visible()
    rows = decisions(built_review, "ann")
    assert [(r["pmid"], r["decision"], r["exclusion_reason"]) for r in rows] == [
        (first.removeprefix("pmid:"), "include", ""), (second.removeprefix("pmid:"), "exclude", reason),
        (third.removeprefix("pmid:"), "needs_review", ""), (third.removeprefix("pmid:"), "withdrawn", "")]
    assert reason == "no tacrolimus"


def test_the_second_reviewer_does_not_see_the_first_reviewers_vote(built_review, browser):
    page = browser.new_page()
    with workspace(built_review, "ann") as url:
        page.goto(url)
        record = shown(page)
        press(page, "e", "2")
    with workspace(built_review, "bob") as url:
        page.goto(url + f"?record={record}")
        assert shown(page) == record and page.inner_text("#left") == "8"
        for path in ("", "conflicts", "full-text", "values"):
            page.goto(url + path + (f"?record={record}" if not path else ""))
            html = page.content()
            assert not any(vote in html for vote in ("ann:", "ann (", ">ann<", "topical tacrolimus only (")), path
        page.goto(url + f"?record={record}")
        press(page, "i")
        assert decisions(built_review, "bob")[0]["decision"] == "include"


def test_a_conflict_is_resolved_with_a_final_decision(built_review, browser):
    page = browser.new_page()
    for reviewer, keys in (("ann", ("i",)), ("bob", ("e", "4"))):
        with workspace(built_review, reviewer) as url:
            page.goto(url)
            record = shown(page)
            press(page, *keys)
    with workspace(built_review, "cat") as url:
        page.goto(url + "conflicts")
        conflict = page.locator(f'.conflict[data-record="{record}"]')
        assert conflict.locator(".vote").all_inner_texts()[0].startswith("ann: include")
        assert conflict.locator(".vote").all_inner_texts()[1].startswith("bob: exclude (no tacrolimus)")
        with page.expect_navigation():
            conflict.get_by_role("button", name="Final: include").click()
        assert page.locator("#no-conflicts").is_visible()
    [final] = decisions(built_review, "cat")
    assert (final["stage"], final["decision"], final["final"]) == (TA, "include", "yes")


def test_a_full_text_exclusion_with_its_reason_shows_in_prisma(built_review, browser):
    page = browser.new_page()
    with workspace(built_review, "ann") as url:
        page.goto(url + "full-text?record=pmid:17169297")
        assert "No full text found by the pipeline (no PMCID and no supplied file)" in page.inner_text("#availability")
        reasons = page.locator("#reasons button").all_inner_texts()
        number = next(text.split()[0] for text in reasons if "no patient-level outcome" in text)
        press(page, "e", number)
        page.goto(url + "conflicts")                   # seed-review included it: settle with a final exclusion
        conflict = page.locator('.conflict[data-record="pmid:17169297"]')
        conflict.locator("select").select_option("no patient-level outcome")
        with page.expect_navigation():
            conflict.get_by_role("button", name="Final: exclude (reason)").click()
        page.goto(url + "rebuild")
        with page.expect_navigation():
            page.click("#start")
        page.wait_for_function("document.getElementById('state').textContent === 'finished'", timeout=300_000)
        page.goto(url + "prisma")
        text = " ".join(page.inner_text("#prisma").split())
    assert "Reports excluded (n = 1)" in text and "no patient-level outcome (n = 1)" in text
    assert "Studies included in review (n = 4)" in text
    assert "Martin Nalda" not in (built_review / "results/table1.csv").read_text()


def test_a_value_is_accepted_and_another_corrected_after_a_vocabulary_error(built_review, browser):
    page = browser.new_page()
    values = built_review / "config/extraction/values/ann.tsv"
    with workspace(built_review, "ann") as url:
        page.goto(url + "values/pmid:17169297")
        page.keyboard.press("j")                                   # study -> design
        assert page.evaluate("document.activeElement.dataset.field") == "design"
        page.keyboard.press("a")
        design = page.locator('tr[data-field="design"]')
        page.wait_for_function("document.querySelector('tr[data-field=design]').dataset.state === 'verified'")
        assert "verified" in design.locator(".state").inner_text()
        skin = page.locator('tr[data-field="skin_outcome"]')
        skin.focus()
        page.keyboard.type("better")
        page.keyboard.press("Enter")
        error = skin.locator(".error")
        error.wait_for(state="visible")
        assert "expected one of resolved, improved, no change, worsened, NR" in error.inner_text()
        assert [r["field"] for r in read_tsv(values, allow_comments=True)] == ["design"]
        age = page.locator('tr[data-field="age_min"]')
        age.locator("input[name=value]").fill("45")
        age.locator("input[name=value]").press("Enter")
        age.locator(".error").wait_for(state="visible")
        assert "'45' is implausible for age_min: ages are between 0 and 30" in age.locator(".error").inner_text()
        skin.locator("input[name=value]").fill("resolved")
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('tr[data-field=skin_outcome]').dataset.state === 'verified'")
        assert skin.locator(".value").inner_text() == "resolved" and error.inner_text() == ""
    rows = read_tsv(values, allow_comments=True)
    assert [(r["field"], r["value"], r["source"], r["reviewer"]) for r in rows] == [
        ("design", "case series", "abstract", "ann"), ("skin_outcome", "resolved", "full text", "ann")]


def _screen_everything(url: str, reviewer: str, errors: list, pressed: dict) -> None:
    """One reviewer in their own browser: screen until their queue is empty (it also shrinks as the
    other reviewer completes records), alternating include and maybe, then add two studies."""
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            own = playwright.chromium.launch(executable_path=CHROMIUM)
            page = own.new_page()
            page.goto(url)
            keys = []
            while page.locator("#record").count():
                keys.append("im"[len(keys) % 2])
                press(page, keys[-1])
            pressed[reviewer] = keys
            for n in range(2):
                page.goto(url + "add")
                page.fill("#title", f"{reviewer}'s congress abstract {n}")
                page.fill("#authors", f"{reviewer.title()}, A")
                page.fill("#year", "2025")
                with page.expect_navigation():
                    page.click("button.primary")
            own.close()
    except Exception as error:   # reported by the test, in the main thread
        errors.append(error)


def test_two_reviewers_in_two_browsers_at_once_lose_no_row_and_write_nothing_under_results(built_review):
    before = results_state(built_review)
    ris = built_review / "config/other_sources/reviewer-added.ris"
    records_before = len(read_ris(ris))
    errors: list = []
    pressed: dict = {}
    with workspace(built_review, "ann") as ann, workspace(built_review, "bob") as bob:
        threads = [threading.Thread(target=_screen_everything, args=(url, name, errors, pressed))
                   for url, name in ((ann, "ann"), (bob, "bob"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert not errors, errors
    for reviewer in ("ann", "bob"):
        rows = decisions(built_review, reviewer)
        assert len(pressed[reviewer]) >= 5       # the records only the rules have seen are everyone's
        assert [r["decision"] for r in rows] == [{"i": "include", "m": "needs_review"}[k] for k in pressed[reviewer]]
        assert len({r["pmid"] for r in rows}) == len(rows)
    added = read_ris(ris)[records_before:]
    assert sorted(r["title"] for r in added) == sorted(f"{who}'s congress abstract {n}"
                                                       for who in ("ann", "bob") for n in range(2))
    assert results_state(built_review) == before
