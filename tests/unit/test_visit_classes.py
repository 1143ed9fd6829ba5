"""User agents → device, browser and OS classes (ua-parser, pinned in the aggregator's requirements)."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

from infra.function_bundling import read_pins
from tests.visits import (
    CHROME_ANDROID_PHONE,
    CHROME_ANDROID_TABLET,
    CHROME_WINDOWS,
    CURL,
    FIREFOX_LINUX,
    SAFARI_IPAD,
    SAFARI_IPHONE,
)

FOLDER = Path(__file__).resolve().parents[2] / "functions" / "aggregate"
if str(FOLDER) not in sys.path:
    sys.path.insert(0, str(FOLDER))

from visit_classes import classify  # noqa: E402

MAC_SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)
INSTAGRAM_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 Instagram 334.0.4.32.98"
)


@pytest.mark.parametrize(
    ("user_agent", "device", "browser", "os"),
    [
        (CHROME_WINDOWS, "desktop", "Chrome", "Windows"),
        (EDGE_WINDOWS, "desktop", "Edge", "Windows"),
        (MAC_SAFARI, "desktop", "Safari", "Mac OS X"),
        (FIREFOX_LINUX, "desktop", "Firefox", "Ubuntu"),
        (SAFARI_IPHONE, "mobile", "Mobile Safari", "iOS"),
        (INSTAGRAM_IPHONE, "mobile", "Instagram", "iOS"),  # an in-app browser is a person's
        (CHROME_ANDROID_PHONE, "mobile", "Chrome Mobile", "Android"),
        (SAFARI_IPAD, "tablet", "Mobile Safari", "iOS"),
        (CHROME_ANDROID_TABLET, "tablet", "Chrome", "Android"),
        (CURL, "other", "curl", "Other"),
        ("", "other", "Other", "Other"),
    ],
)
def test_real_user_agents(user_agent: str, device: str, browser: str, os: str) -> None:
    found = classify(user_agent)
    assert (found.device, found.browser, found.os) == (device, browser, os)


def test_ua_parser_is_the_pinned_release_installed_not_copied() -> None:
    """The release the aggregator's requirements.txt pins (what synth puts in its asset) is the
    one these tests import, from the venv: nothing of it lies in the function's folder."""
    pins = read_pins(FOLDER / "requirements.txt")
    assert set(pins) == {"ua-parser", "ua-parser-builtins"}
    for name, pin in pins.items():
        assert importlib.metadata.version(name) == pin, f"{name} in the venv is not {pin}: run `make venv`"
    import ua_parser

    assert not Path(ua_parser.__file__).is_relative_to(FOLDER)
    assert not list(FOLDER.glob("ua_parser*"))
