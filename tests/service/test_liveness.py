"""The rule "this link redirects now", run both ways on the same cases: HEAD and GET (through
``follow`` on moto: for a link with max_visits, the counting transaction's condition) must agree;
and where GET refuses, no event is written either."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import pytest

from snip.data.item_codec import to_item
from snip.data.link_items import link_of
from snip.data.links_table import LinksTable
from snip.data.visits_table import VisitsTable
from snip.domain.errors import LinkGone
from snip.domain.liveness import is_active
from snip.operations.follow_link import RedirectTables, Visit, follow
from snip.settings import DEFAULT_TABLES, Env
from tests.service.visits_table_setup import VISITS, visit_events

NOW = "2030-01-01T00:00:00Z"
NOW_MOMENT = datetime(2030, 1, 1, tzinfo=UTC)
LIVE = {
    "key": "Rule123",
    "url": "https://example.com/",
    "redirect_status": 302,
    "visits": 0,
    "disabled": False,
}
CASES = {
    "live": LIVE,
    "deleted": {**LIVE, "deleted_at": "2029-12-01T00:00:00Z"},
    "disabled": {**LIVE, "disabled": True},
    "expired": {**LIVE, "expires_at": "2029-12-31T23:59:59Z"},
    "expires_now": {**LIVE, "expires_at": NOW},
    "not_expired": {**LIVE, "expires_at": "2030-01-01T00:00:01Z"},
    "max_visits_reached": {**LIVE, "visits": 3, "max_visits": 3},
    "max_visits_not_reached": {**LIVE, "visits": 2, "max_visits": 3},
    "no_disabled": {k: v for k, v in LIVE.items() if k != "disabled"},
    "no_visits_with_max_visits": {**{k: v for k, v in LIVE.items() if k != "visits"}, "max_visits": 1},
    "only_key_url_status": {"key": "Rule123", "url": "https://example.com/", "redirect_status": 302},
    "deleted_and_expired": {**LIVE, "deleted_at": NOW, "expires_at": "2029-01-01T00:00:00Z"},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_predicate_and_condition_agree(dynamodb: Any, case: str) -> None:
    item = to_item(CASES[case])
    links = DEFAULT_TABLES[Env.LINKS_TABLE]
    dynamodb.put_item(TableName=links, Item=item)
    link = link_of(item)  # as the data package reads it
    store = RedirectTables.over(LinksTable(dynamodb, links), VisitsTable(dynamodb, VISITS))
    with patch("snip.domain.clock.utcnow", return_value=NOW_MOMENT):
        head = _redirects(lambda: follow(store, link.key, None))
        get = _redirects(lambda: follow(store, link.key, Visit("rule-request")))
    assert head is get is is_active(link, NOW)
    assert len(visit_events(dynamodb)) == int(get)


def _redirects(answer: Callable[[], object]) -> bool:
    try:
        answer()
    except LinkGone:
        return False
    return True
