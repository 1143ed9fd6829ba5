"""The shared user-agent table (snip.domain.user_agents): what resolve's device and OS rules
match, and the aggregator's device class. On a corpus of real user agents it gives the device a
person would, the aggregator counts that same device, and its OS is the one ua-parser's family
(what the stats' ``os`` breakdown shows) names."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from snip.domain.redirect_rules import DEVICES, OPERATING_SYSTEMS
from snip.domain.user_agents import OTHER, device_and_os
from tests.user_agent_corpus import CORPUS

FOLDER = Path(__file__).resolve().parents[2] / "functions" / "aggregate"
if str(FOLDER) not in sys.path:
    sys.path.insert(0, str(FOLDER))

from visit_classes import classify  # noqa: E402

# ua-parser's OS families that a rule's ``os`` names; every other family is no rule's OS.
RULE_OS_OF_FAMILY = {
    "iOS": "ios",
    "Android": "android",
    "Windows": "windows",
    "Mac OS X": "macos",
    "macOS": "macos",
    "Linux": "linux",
    "Ubuntu": "linux",
    "Fedora": "linux",
    "Debian": "linux",
    "Chrome OS": "chromeos",
    "ChromeOS": "chromeos",
}


@pytest.mark.parametrize(("device", "user_agent"), CORPUS, ids=lambda value: value[:60])
def test_the_table_gives_the_device_a_person_would_and_the_os_ua_parser_names(
    device: str, user_agent: str
) -> None:
    found_device, found_os = device_and_os(user_agent)
    assert found_device == device
    assert found_os == RULE_OS_OF_FAMILY.get(classify(user_agent).os)


@pytest.mark.parametrize(("device", "user_agent"), CORPUS, ids=lambda value: value[:60])
def test_the_aggregator_counts_the_device_the_rules_match(device: str, user_agent: str) -> None:
    assert classify(user_agent).device == device_and_os(user_agent)[0]


def test_the_corpus_covers_every_device_and_os_a_rule_may_name() -> None:
    seen = [device_and_os(user_agent) for _, user_agent in CORPUS]
    assert {device for device, _ in seen} == {*DEVICES, OTHER}
    assert {system for _, system in seen} == {*OPERATING_SYSTEMS, None}
