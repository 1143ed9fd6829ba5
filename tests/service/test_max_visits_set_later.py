"""A ``max_visits`` set later on a link already visited (CONTRACT §2, issue 20.4): it counts the
visits already made once the pipeline has counted them; until then the link answers up to
``max_visits`` more redirects. With the aggregator stalled (these handlers run none): 30 visits,
PATCH max_visits 10, then exactly 10 more 302s, and 410 after. docs/api.md states the bound.

A link with ``max_visits`` counts its visits on the link itself, in the redirect's transaction,
against the link's ``visits`` as the aggregator left it: the uncounted events are not in it."""

from __future__ import annotations

from typing import Any

import pytest

from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import Call, new_instance, scan

VISITS = DEFAULT_TABLES[Env.VISITS_TABLE]

pytestmark = pytest.mark.usefixtures("filled_pool")


def get(call: Call, key: str) -> int:
    return int(call("GET", f"/{key}", api_key_id=None).status)


def test_max_visits_set_after_uncounted_visits_lets_that_many_more_through(call: Call, dynamodb: Any) -> None:
    key = call("POST", "/links", body={"url": "https://example.com/later"}).json["key"]
    assert [get(call, key) for _ in range(30)] == [302] * 30
    assert len(scan(dynamodb, VISITS)) == 30  # the events, which nothing has counted yet
    patched = call("PATCH", f"/links/{key}", body={"max_visits": 10})
    assert (patched.status, patched.json["visits"]) == (200, 0)
    new_instance()  # past resolve's 2 s memory of the link as it was before the PATCH
    assert [get(call, key) for _ in range(12)] == [302] * 10 + [410] * 2
    assert call("GET", f"/links/{key}").json["visits"] == 10  # counted at the redirect
    assert len(scan(dynamodb, VISITS)) == 40
