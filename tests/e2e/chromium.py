"""Debian's chromium for the browser tests, driven by Playwright (its own browser downloads are never
used): skipped where chromium is missing, unless REQUIRE_CHROMIUM is set (CI)."""

import contextlib
import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

# Headless, and nothing reaching out on its own (no updates, sync or background fetches).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.asynccontextmanager
async def system_chromium() -> AsyncIterator[Browser]:
    """The system's chromium, headless; closed after."""
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()
