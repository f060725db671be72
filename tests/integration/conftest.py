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
