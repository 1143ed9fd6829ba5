"""Powertools' EMF metric lines, read back from a function's log output."""

from __future__ import annotations

import json
from collections import Counter

METRICS = ("LinksCreated", "KeyClaimConflicts", "PoolEmptyFallbacks", "KeysGenerated", "KeyCollisions")


def metric_totals(log: str, names: tuple[str, ...] = METRICS) -> dict[str, float]:
    """Sum each named metric over every EMF line in ``log`` (lines may carry a prefix before the JSON)."""
    totals: Counter[str] = Counter(dict.fromkeys(names, 0))
    for line in log.splitlines():
        start = line.find('{"_aws"')
        if start < 0:
            continue
        try:
            document = json.loads(line[start:])
        except ValueError:
            continue
        for name in names:
            value = document.get(name)
            if isinstance(value, list):
                totals[name] += sum(value)
            elif isinstance(value, int | float):
                totals[name] += value
    return dict(totals)
