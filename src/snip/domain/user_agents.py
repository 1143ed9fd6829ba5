"""The device class and operating system of a user agent: one small table of tokens, shared.

resolve reads it to match a redirect rule's ``device`` and ``os`` (imported only for a link with
such rules: ``snip.domain.redirect_rules``), and the aggregator's device breakdown is this table's
class (functions/aggregate/visit_classes.py), so that a rule for ``mobile`` sends exactly the
visitors the stats count as mobile. The aggregator keeps ua-parser for the browser and the OS
family its breakdowns show (``iOS``, ``Mac OS X``, ...); tests/unit/test_user_agent_table.py
holds this table's OS to that family on a corpus of real user agents.

Tokens, not regular expressions: a user agent spells its platform's tokens one way ("iPhone",
"Android", "CrOS", "Windows NT"), and a substring test is a few dozen nanoseconds where a
case-blind alternation scans the whole string per pattern. A couple of microseconds a call, no
cache to fill: a redirect pays for what it asks only. Plain standard library.
"""

from __future__ import annotations

import re

OTHER = "other"  # a device class no rule names (bots, TVs, consoles, an empty header)

# The operating systems a rule may name, tried in order: the first whose token is found decides.
# Systems no rule names first (Windows Phone is no Windows, KaiOS's "Android" no Android, a Tizen
# TV's "Linux" no Linux), iOS before macOS (an iPhone says "like Mac OS X"), Android and Chrome OS
# before Linux (both say "Linux").
OS_TOKENS: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    (None, ("Windows Phone", "Windows Mobile", "IEMobile", "KAIOS", "KaiOS", "Tizen", "Web0S", "webOS",
            "HarmonyOS", "BlackBerry", "BB10", "PlayStation", "Xbox", "Nintendo")),
    ("ios", ("iPhone", "iPad", "iPod", "CPU OS ", "CPU iPhone OS ")),
    ("android", ("Android",)),
    ("chromeos", ("CrOS",)),
    ("windows", ("Windows NT", "Win64", "WOW64", "Windows 9", "Windows XP", "Windows ME", "Windows 2000")),
    ("macos", ("Macintosh", "Mac OS X", "Mac_PowerPC", "macOS")),
    ("linux", ("Linux", "X11", "Ubuntu", "Fedora", "Debian", "FreeBSD", "OpenBSD")),
)  # fmt: skip
# Tablets that name themselves, and the two model patterns a token cannot say (Samsung's Galaxy
# Tab models SM-T/P/X<digit>, Amazon's Fire models KF<letters>), tried only after their prefix.
TABLET_TOKENS = ("iPad", "Tablet", "tablet", "Kindle", "Silk/", "PlayBook", "Galaxy Tab", "Lenovo Tab",
                 "MediaPad", "Nexus 7 ", "Nexus 7)", "Nexus 9", "Nexus 10")  # fmt: skip
_TABLET_MODELS = (("SM-", re.compile(r"SM-[TPX]\d")), ("KF", re.compile(r"\bKF[A-Z]{2,4}\b")))
PHONE_TOKENS = (
    "Mobi",
    "iPhone",
    "iPod",
    "Windows Phone",
    "IEMobile",
    "BlackBerry",
    "BB10",
    "KAIOS",
    "Opera Mini",
)
_DESKTOP_OS = frozenset({"windows", "macos", "linux", "chromeos"})


def os_of(user_agent: str) -> str | None:
    """The OS a rule names (``ios``, ``android``, ``windows``, ``macos``, ``linux``, ``chromeos``),
    or None for any other (or none)."""
    for name, tokens in OS_TOKENS:
        for token in tokens:
            if token in user_agent:
                return name
    return None


def _is_tablet(user_agent: str) -> bool:
    for token in TABLET_TOKENS:
        if token in user_agent:
            return True
    return any(prefix in user_agent and model.search(user_agent) for prefix, model in _TABLET_MODELS)


def device_and_os(user_agent: str) -> tuple[str, str | None]:
    """(``mobile`` | ``tablet`` | ``desktop`` | ``other``, ``os_of``) of a user agent.

    A tablet names itself (iPad, Kindle, Galaxy Tab, ...); a phone says Mobi (or iPhone, Opera
    Mini, ...); Android that said neither is a tablet (Google's guidance: tablets drop "Mobile");
    a desktop is a desktop system that said none of these.
    """
    system = os_of(user_agent)
    if _is_tablet(user_agent):
        return "tablet", system
    for token in PHONE_TOKENS:
        if token in user_agent:
            return "mobile", system
    if system == "android":
        return "tablet", system
    if system in _DESKTOP_OS:
        return "desktop", system
    return OTHER, system


def device_of(user_agent: str) -> str:
    return device_and_os(user_agent)[0]
