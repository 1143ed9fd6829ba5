"""The device class and operating system of a user agent: one small table of patterns, shared.

resolve reads it to match a redirect rule's ``device`` and ``os`` (imported only for a link with
such rules: ``snip.domain.redirect_rules``), and the aggregator's device breakdown is this table's
class (functions/aggregate/visit_classes.py), so that a rule for ``mobile`` sends exactly the
visitors the stats count as mobile. The aggregator keeps ua-parser for the browser and the OS
family its breakdowns show (``iOS``, ``Mac OS X``, ...); tests/unit/test_user_agent_table.py
holds this table's OS to that family on a corpus of real user agents.

A few dozen microseconds a call, no cache to fill: a redirect pays for what it asks only.
Plain standard library.
"""

from __future__ import annotations

import re

OTHER = "other"  # a device class no rule names (bots, TVs, consoles, an empty header)

# The operating systems a rule may name, tried in order: the first pattern found decides. iOS
# before macOS (an iPhone says "like Mac OS X"), Android and Chrome OS before Linux (both say
# "Linux"); phones' systems that rules do not name (Windows Phone, KaiOS, Tizen, webOS, ...) first,
# so that "Windows Phone" is no Windows and "KAIOS ... Android" no Android.
_OS_TABLE: tuple[tuple[str | None, re.Pattern[str]], ...] = (
    (None, re.compile(r"Windows Phone|Windows Mobile|IEMobile|KAIOS|Tizen|Web0S|webOS|HarmonyOS"
                      r"|BlackBerry|BB10|PlayStation|Xbox|Nintendo", re.I)),
    ("ios", re.compile(r"iPhone|iPad|iPod|\bCPU (?:iPhone )?OS \d|\biOS\b")),
    ("android", re.compile(r"Android", re.I)),
    ("chromeos", re.compile(r"\bCrOS\b")),
    ("windows", re.compile(r"Windows NT|Windows (?:95|98|XP|ME|2000)|\bWin(?:32|64|dows)\b|WOW64")),
    ("macos", re.compile(r"Macintosh|Mac OS X|Mac_PowerPC|macOS")),
    ("linux", re.compile(r"Linux|X11|Ubuntu|Fedora|Debian|FreeBSD|OpenBSD", re.I)),
)  # fmt: skip
_TABLET = re.compile(
    r"iPad|Tablet|Kindle|\bSilk/|PlayBook|Galaxy Tab|SM-[TPX]\d|Nexus (?:7|9|10)\b|Lenovo Tab|MediaPad"
    r"|\bKF[A-Z]{2,4}\b",
    re.I,
)
_PHONE = re.compile(r"Mobi|iPhone|iPod|Windows Phone|IEMobile|BlackBerry|BB10|KAIOS|Opera Mini", re.I)
_DESKTOP_OS = frozenset({"windows", "macos", "linux", "chromeos"})


def os_of(user_agent: str) -> str | None:
    """The OS a rule names (``ios``, ``android``, ``windows``, ``macos``, ``linux``, ``chromeos``),
    or None for any other (or none)."""
    for name, pattern in _OS_TABLE:
        if pattern.search(user_agent):
            return name
    return None


def device_and_os(user_agent: str) -> tuple[str, str | None]:
    """(``mobile`` | ``tablet`` | ``desktop`` | ``other``, ``os_of``) of a user agent.

    A tablet names itself (iPad, Kindle, Galaxy Tab, ...); a phone says Mobi (or iPhone, Opera
    Mini, ...); Android that said neither is a tablet (Google's guidance: tablets drop "Mobile");
    a desktop is a desktop system that said none of these.
    """
    system = os_of(user_agent)
    if _TABLET.search(user_agent):
        return "tablet", system
    if _PHONE.search(user_agent):
        return "mobile", system
    if system == "android":
        return "tablet", system
    if system in _DESKTOP_OS:
        return "desktop", system
    return OTHER, system


def device_of(user_agent: str) -> str:
    return device_and_os(user_agent)[0]
