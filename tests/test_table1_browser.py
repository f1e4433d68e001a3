"""Table 1's HTML in a real browser (the system's Chromium, driven by Playwright): on a phone each
study is a card whose field names and values stand in two columns."""
from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("LSR_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (.ci/run installs it with apt-get)")


@pytest.mark.parametrize("width", [390, 1280])
def test_table1_html_reads_on_a_phone_and_a_desktop(bundled_run, width):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto((bundled_run / "results" / "table1.html").as_uri())
        cell = page.locator("tbody td[data-label='Design']").first
        value = cell.locator("span")
        cell_box, value_box = cell.bounding_box(), value.bounding_box()
        if width < 760:
            # A card: the field name on the left, its value in its own column, not run together.
            assert page.evaluate("c => getComputedStyle(c).display", cell.element_handle()) == "grid"
            assert value_box["x"] >= cell_box["x"] + 0.35 * cell_box["width"]
        else:
            assert page.locator("thead").is_visible()
            assert page.evaluate("c => getComputedStyle(c, '::before').content", cell.element_handle()) == "none"
        browser.close()
