"""The console's browser: Debian's chromium driven by Playwright, and what the tests do with it.

Playwright's own browser download is not used (``make browser`` installs Debian's ``chromium``).
When it is missing the tests fail in CI (``CI=true``) and are skipped elsewhere, saying why.
axe-core, installed from npm by ``make axe-core`` into ``.axe-core/`` (never committed, never
served to users), is injected into the page to audit it; without it (no npm) the browser tests
are skipped, saying why. Screenshots go to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    sync_playwright,
)

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
# How Chromium logs an answer of 400 or more to a request of the page.
LOAD_FAILED = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")


_MISSING: dict[str, frozenset[str]] = {}


def missing_routes(stack: Stack) -> frozenset[str]:
    """The paths of the routes the console calls on every home screen that this stack's API does
    not serve yet (another branch brings them): ``/links/summary`` read as a key answers 404."""
    if stack.base_url not in _MISSING:
        summary = requests.get(f"{stack.base_url}/links/summary", headers=stack.headers(), timeout=30)
        _MISSING[stack.base_url] = frozenset({"/links/summary"} if summary.status_code == 404 else set())
    return _MISSING[stack.base_url]


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
    """One browser tab on the console of a stack; records everything that went wrong in it.

    A problem is a page error, any error on the browser's console (a CSP refusal, a resource that
    failed to load), a request that failed (no answer) and an answer of 400 or more; the tab must
    end without one. A test that makes the API refuse something on purpose says so first with
    ``expect_refusal``: that answer, and the console's line about it, are then no problem.
    """

    def __init__(self, context: BrowserContext, stack: Stack) -> None:
        self.context = context
        self.stack = stack
        self.page: Page = context.new_page()
        self.problems: list[str] = []
        # Until its route is merged the console says "not available yet" about the summary: no problem.
        self.refusals: set[tuple[int, str]] = {(404, path) for path in missing_routes(stack)}
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("console", self._console)
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)

    def expect_refusal(self, status: int, path: str) -> None:
        """The API may answer ``status`` to a request for ``path`` (no query) in this tab."""
        self.refusals.add((status, path))

    def _expected(self, status: int, url: str) -> bool:
        return (status, urlsplit(url).path) in self.refusals

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        failed = LOAD_FAILED.match(message.text)
        url = message.location.get("url", "")
        if failed and self._expected(int(failed.group(1)), url):
            return
        self.problems.append(f"console error: {message.text} ({url})")

    def _request_failed(self, request: Request) -> None:
        self.problems.append(f"request failed: {request.method} {request.url}: {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400 and not self._expected(response.status, response.url):
            self.problems.append(f"answer {response.status}: {response.request.method} {response.url}")

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
    """A fresh tab (its own sessionStorage) that must end without a problem (``Console``)."""
    context = browser.new_context(viewport=viewport, **options)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.base_url)
    console = Console(context, stack)
    try:
        yield console
    finally:
        context.close()
    assert not console.problems, "the page broke, logged an error or a request failed:\n" + "\n".join(
        console.problems
    )
