"""The console's browser: Debian's chromium driven by Playwright, and what the tests do with it.

Playwright's own browser download is not used (``make browser`` installs Debian's ``chromium``).
When it is missing the tests fail in CI (``CI=true``) and are skipped elsewhere, saying why.
axe-core, installed from npm by ``make axe-core`` into ``.axe-core/`` (never committed, never
served to users), is injected into the page to audit it; without it (no npm) the browser tests
are skipped, saying why. Screenshots go to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.e2e.stacks import REPO, Stack

CHROMIUM = Path("/usr/bin/chromium")
# The Makefile's AXE_CORE_VERSION, the npm package's axe.min.js and that file's digest.
AXE_PACKAGE = REPO / ".axe-core" / "node_modules" / "axe-core"
AXE = AXE_PACKAGE / "axe.min.js"
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
SCREENSHOTS = REPO / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


def chromium_or_skip() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    reason = (
        f"Debian's chromium is not installed at {CHROMIUM}: run `make browser` (apt-get install chromium)"
    )
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"the console's browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def axe_or_skip() -> Path:
    if AXE.is_file():
        return AXE
    pytest.skip(f"axe-core is not installed at {AXE}: `make test` installs it with npm (make axe-core)")


def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, for as long as the caller (a fixture) keeps it; skipped
    without axe-core, which every audit needs."""
    executable = chromium_or_skip()
    axe_or_skip()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(executable), headless=True)
        yield launched
        launched.close()


class Console:
    """One browser tab on the console of a stack; records page errors and CSP refusals."""

    def __init__(self, context: BrowserContext, stack: Stack) -> None:
        self.context = context
        self.stack = stack
        self.page: Page = context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("console", self._console)

    def _console(self, message: Any) -> None:
        # Chromium reports a CSP refusal on the console; a fetch's 4xx is logged too, and is fine.
        if message.type == "error" and "Content Security Policy" in message.text:
            self.problems.append(message.text)

    def open(self, fragment: str = "") -> Page:
        self.page.goto(f"{self.stack.base_url}/{fragment}")
        return self.page

    def paste_key(self, key: str = "local-dev-key") -> Page:
        page = self.open()
        page.get_by_label("API key").fill(key)
        page.get_by_role("button", name="Use this key").click()
        return page

    def audit(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the page as it is now."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated through the DevTools protocol: the page's CSP (no inline script) stays on.
            self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate("async () => (await axe.run(document)).violations")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result
            if v["impact"] in {"serious", "critical"}
        ]

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        """docs/screenshots/<name>-desktop.png or <name>-phone.png (a modal dialog: the viewport)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        width = self.page.viewport_size["width"] if self.page.viewport_size else 0
        path = SCREENSHOTS / f"{name}-{'phone' if width < 600 else 'desktop'}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


@contextmanager
def open_console(
    browser: Browser, stack: Stack, viewport: dict[str, int], **options: Any
) -> Iterator[Console]:
    """A fresh tab (its own sessionStorage) that must end without a page error or CSP refusal."""
    context = browser.new_context(viewport=viewport, **options)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.base_url)
    console = Console(context, stack)
    try:
        yield console
    finally:
        context.close()
    assert console.problems == [], "the page broke or its CSP refused something"
