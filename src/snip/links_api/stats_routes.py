"""GET /links/{key}/stats: a link's visit analytics, its owner only.

The Event Handler reads the query (``from``, ``to``, ``interval``) and refuses another interval;
the range's rules (RFC 3339 instants, ``from`` before ``to``, its longest span, the years
2000-2999) are the domain's (``snip.domain.stats.parse_query``); the document states the format.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from snip.data.rollups_table import rollups_table
from snip.domain import clock, stats
from snip.domain.errors import DependencyUnavailable, InvalidInput, LinkNotFound
from snip.execution import environment
from snip.http import openapi
from snip.http.api_models import Instant, LinkStats
from snip.http.rest_router import RestRouter
from snip.http.scope_middleware import owner
from snip.settings import get_settings

router = RestRouter()

_INSTANT = "RFC 3339 date-time with an offset, in the years 2000-2999 (UTC)"


@router.get(
    "/links/<key>/stats",
    summary="Visit analytics of one of your links",
    responses={
        **openapi.ok(200, LinkStats, "Visits per hour or day over the range, and their breakdowns"),
        **openapi.errors(InvalidInput, LinkNotFound, DependencyUnavailable),
    },
)
def link_stats(
    key: str,
    from_: Annotated[
        Instant | None, Query(alias="from", description=f"{_INSTANT}; default: 30 days before `to`")
    ] = None,
    to: Annotated[Instant | None, Query(description=f"{_INSTANT}; default: now")] = None,
    interval: Annotated[Literal["hour", "day"], Query()] = "day",
) -> dict[str, object]:
    now = clock.utcnow()
    query = stats.parse_query({"from": from_, "to": to, "interval": interval}, now)
    table = rollups_table()
    as_of = stats.as_of(table.progress(), now, idle_after=get_settings().stats_lag)
    return stats.link_stats(environment.links_table(), table, owner(router), key, query, as_of)
