"""Device, browser and OS classes of a user agent.

The device class (desktop, mobile, tablet, other) is the shared user-agent table's
(``snip.domain.user_agents``), the one resolve's redirect rules match ``device`` and ``os`` with,
so a rule for ``mobile`` sends exactly the visitors these stats count as mobile. The browser and the
OS family the breakdowns show (``Chrome Mobile``, ``Mac OS X``, ...) are ua-parser's (Apache-2.0,
the Python port of uap-core's maintained regexes, with its precompiled rules in
ua-parser-builtins), pure Python and pinned in this folder's requirements.txt only: synth installs
it into the aggregator's asset alone (infra/function_bundling.py), so resolve never loads it.
tests/unit/test_user_agent_table.py holds the table's OS to ua-parser's family on a corpus.
"""

from __future__ import annotations

from functools import lru_cache

import ua_parser

from snip.domain.rollups import UserAgentClass
from snip.domain.user_agents import device_of

OTHER = "Other"


@lru_cache(maxsize=4096)
def classify(user_agent: str) -> UserAgentClass:
    """The classes of one user agent (cached: a batch repeats the same few agents)."""
    if not user_agent:
        return UserAgentClass(device="other", browser=OTHER, os=OTHER)
    result = ua_parser.parse(user_agent)
    browser = result.user_agent.family if result.user_agent else OTHER
    os_family = result.os.family if result.os else OTHER
    return UserAgentClass(device=device_of(user_agent), browser=browser, os=os_family)
