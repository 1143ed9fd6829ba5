"""A link's title and notes (CONTRACT §2): on create, PATCH and batch, in every read, with their
own error codes; and never on the item a visit writes."""

from __future__ import annotations

from typing import Any

import pytest

from snip.data import clients
from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import Call

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
URL = "https://example.com/titled"

pytestmark = pytest.mark.usefixtures("filled_pool")


def create(call: Call, **body: Any) -> dict[str, Any]:
    reply = call("POST", "/links", body={"url": URL, **body})
    assert reply.status == 201, reply.body
    return reply.json


def every_read(call: Call, key: str) -> list[dict[str, Any]]:
    """The link as GET /links/{key} and GET /links show it."""
    listed = [link for link in call("GET", "/links").json["links"] if link["key"] == key]
    return [call("GET", f"/links/{key}").json, *listed]


def test_title_and_notes_are_kept_and_shown_everywhere(call: Call) -> None:
    notes = "Owner's notes.\nSecond line, with\ttabs and ünïcode ☃."
    link = create(call, title="Spring launch — page", notes=notes)
    assert (link["title"], link["notes"]) == ("Spring launch — page", notes)
    for shown in every_read(call, link["key"]):
        assert (shown["title"], shown["notes"]) == ("Spring launch — page", notes)


def test_unset_title_and_notes_read_as_null(call: Call) -> None:
    link = create(call)
    assert (link["title"], link["notes"]) == (None, None)
    reads = every_read(call, link["key"])
    assert len(reads) == 2
    for shown in reads:
        assert (shown["title"], shown["notes"]) == (None, None)


def test_the_longest_title_and_notes_and_empty_notes_are_accepted(call: Call) -> None:
    link = create(call, title="t" * 200, notes="n" * 1000)
    assert (len(link["title"]), len(link["notes"])) == (200, 1000)
    assert create(call, notes="")["notes"] == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "t" * 201),
        ("title", "two\nlines"),
        ("title", "tab\there"),
        ("title", "nul\x00"),
        ("title", "c1\x85"),
        ("title", 5),
        ("title", ["x"]),
        ("notes", "n" * 1001),
        ("notes", 5),
        ("notes", {"a": 1}),
    ],
)
def test_invalid_title_and_notes_have_their_own_codes(call: Call, field: str, value: object) -> None:
    reply = call("POST", "/links", body={"url": URL, field: value})
    assert (reply.status, reply.error_code) == (400, f"invalid_{field}")
    key = create(call)["key"]
    reply = call("PATCH", f"/links/{key}", body={field: value})
    assert (reply.status, reply.error_code) == (400, f"invalid_{field}")


def test_patch_sets_changes_and_null_clears(call: Call) -> None:
    key = create(call)["key"]
    changed = call("PATCH", f"/links/{key}", body={"title": "Named", "notes": "why"})
    assert changed.status == 200, changed.body
    assert (changed.json["title"], changed.json["notes"]) == ("Named", "why")
    only_title = call("PATCH", f"/links/{key}", body={"title": "Renamed"}).json
    assert (only_title["title"], only_title["notes"]) == ("Renamed", "why")
    cleared = call("PATCH", f"/links/{key}", body={"title": None, "notes": None})
    assert cleared.status == 200, cleared.body
    for shown in [cleared.json, *every_read(call, key)]:
        assert (shown["title"], shown["notes"]) == (None, None)


def test_a_batch_item_carries_title_and_notes(call: Call) -> None:
    reply = call(
        "POST",
        "/links/batch",
        body={"links": [{"url": URL, "title": "In a batch", "notes": "n"}, {"url": URL, "title": ""}]},
    )
    assert reply.status == 200, reply.body
    made, refused = reply.json["results"]
    assert (made["status"], made["link"]["title"], made["link"]["notes"]) == (201, "In a batch", "n")
    assert (refused["status"], refused["error"]["code"]) == (400, "invalid_title")
    assert call("GET", f"/links/{made['link']['key']}").json["title"] == "In a batch"


def test_a_counted_visit_never_writes_the_link_item(call: Call, dynamodb: Any) -> None:
    """The title and notes live on the link's item; a visit (a link with max_visits is counted at
    the redirect) writes its counters item and its event only, so long notes cost it nothing."""
    key = create(call, max_visits=5, title="t" * 200, notes="n" * 1000)["key"]
    writes: list[dict[str, Any]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name in {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}:
            writes.append(params)

    events = clients.dynamodb().meta.events
    events.register("before-parameter-build.dynamodb", record)
    try:
        assert call("GET", f"/{key}", api_key_id=None).status == 302
    finally:
        events.unregister("before-parameter-build.dynamodb", record)
    assert writes, "the visit was counted at the redirect"
    written = repr(writes)
    assert f"'{LINKS}'" not in written
    assert "n" * 1000 not in written
