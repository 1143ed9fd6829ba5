"""Device, browser and OS classes of a user agent, with ua-parser.

ua-parser (Apache-2.0, the Python port of uap-core's maintained regexes, with its precompiled
rules in ua-parser-builtins) is pure Python and pinned in this folder's requirements.txt only:
synth installs it into the aggregator's asset alone (infra/function_bundling.py), so resolve
never loads it. ua-parser names families; the device class (desktop, mobile, tablet, other) is
derived here from the OS and device families, as user-agents does.
"""

from __future__ import annotations

import re
from functools import lru_cache

import ua_parser

from snip.domain.rollups import UserAgentClass

OTHER = "Other"
MOBILE_OS = frozenset(
    {
        "iOS",
        "Android",
        "Windows Phone",
        "BlackBerry OS",
        "KaiOS",
        "Firefox OS",
        "Symbian OS",
        "Tizen",
        "HarmonyOS",
    }
)
DESKTOP_OS = frozenset(
    {
        "Windows",
        "Mac OS X",
        "macOS",
        "Linux",
        "Ubuntu",
        "Chrome OS",
        "ChromeOS",
        "Fedora",
        "Debian",
        "FreeBSD",
        "OpenBSD",
        "NetBSD",
        "Solaris",
        "Red Hat",
        "Arch Linux",
    }
)
_TABLET_DEVICE = re.compile(
    r"iPad|Tablet|Kindle|Galaxy Tab|SM-[TPX]\d|Nexus (7|9|10)|Lenovo Tab|MediaPad", re.I
)


@lru_cache(maxsize=4096)
def classify(user_agent: str) -> UserAgentClass:
    """The classes of one user agent (cached: a batch repeats the same few agents)."""
    if not user_agent:
        return UserAgentClass(device="other", browser=OTHER, os=OTHER)
    result = ua_parser.parse(user_agent)
    browser = result.user_agent.family if result.user_agent else OTHER
    os_family = result.os.family if result.os else OTHER
    device_family = result.device.family if result.device else OTHER
    return UserAgentClass(
        device=device_class(user_agent, os_family, device_family), browser=browser, os=os_family
    )


def device_class(user_agent: str, os_family: str, device_family: str) -> str:
    if _TABLET_DEVICE.search(device_family) or _TABLET_DEVICE.search(user_agent):
        return "tablet"
    if os_family == "Android" and "Mobile" not in user_agent:
        return "tablet"  # Android tablets drop "Mobile" from their user agent (Google's guidance)
    if os_family in MOBILE_OS or "Mobi" in user_agent:
        return "mobile"
    if os_family in DESKTOP_OS:
        return "desktop"
    return "other"
