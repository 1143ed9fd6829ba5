"""The visits table for the tests of resolve, until snip_deploy.tables defines it (the events side
of issue 11 adds it to ALL_TABLES; then ``create_tables`` makes it and this does nothing)."""

from __future__ import annotations

from typing import Any

from snip.settings import DEFAULT_TABLES, Env
from snip_deploy import tables

VISITS = DEFAULT_TABLES[Env.VISITS_TABLE]
_MINIMAL = tables.TableDef(
    env_name=Env.VISITS_TABLE, logical_id="Visits", partition_key=("id", "S"), ttl_attribute="expires"
)


def ensure_visits_table(client: Any, name: str = VISITS) -> None:
    if name in client.list_tables()["TableNames"]:
        return
    definition = getattr(tables, "VISITS", _MINIMAL)
    client.create_table(**definition.create_table_args(name))


def visit_events(client: Any, name: str = VISITS) -> list[dict[str, Any]]:
    """Every visit event in the table (not a deleted link's GoneEvent), as plain dicts
    (snip.domain.visit_events' item layout), oldest first."""
    from snip.domain.visit_events import VisitEvent

    items = client.scan(TableName=name, ConsistentRead=True)["Items"]
    events = [VisitEvent.from_item(item).__dict__ for item in items if "kind" not in item]
    return sorted(events, key=lambda event: event["at"])
