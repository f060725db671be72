"""Fixtures shared by the integration tests."""

from __future__ import annotations

import os

import pytest

from tests.app_support import CHROMIUM, launch


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by playwright, one per test module."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"The browser tests need Debian's chromium at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def laptop_page(browser):
    """A new page in its own browser context, 1366 x 768 (a common laptop screen)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    yield context.new_page()
    context.close()
