"""POST /links/bulk (CONTRACT §2): one action on up to 100 of the owner's links, each key
answered on its own, in order; each key's change as safe under faults as a single PATCH or DELETE."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from snip.data import clients
from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import Call, create_link, scan
from tests.service.sdk_faults import SDK_ATTEMPTS, LostAnswers

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]

pytestmark = pytest.mark.usefixtures("filled_pool")


def create(call: Call, owner: str = "owner-a", **body: Any) -> str:
    return str(create_link(call, owner, **body)["key"])


def bulk(call: Call, owner: str = "owner-a", headers: dict[str, str] | None = None, **body: Any) -> Any:
    return call("POST", "/links/bulk", body=body, api_key_id=owner, headers=headers or {})


def statuses(reply: Any) -> list[tuple[str, int]]:
    assert reply.status == 200, reply.body
    return [(result["key"], result["status"]) for result in reply.json["results"]]


def test_delete_answers_each_key_in_request_order(call: Call) -> None:
    mine = [create(call) for _ in range(3)]
    theirs = create(call, owner="owner-b")
    keys = [mine[1], "no-such-key", theirs, mine[0], "not a key", mine[2]]
    reply = bulk(call, keys=keys, action="delete")
    assert statuses(reply) == [
        (mine[1], 204), ("no-such-key", 404), (theirs, 404),
        (mine[0], 204), ("not a key", 404), (mine[2], 204),
    ]  # fmt: skip
    failed = reply.json["results"][1]
    assert failed["error"]["code"] == "link_not_found"
    assert set(reply.json["results"][0]) == {"key", "status"}
    for key in mine:
        assert call("GET", f"/links/{key}").status == 404
        assert call("GET", f"/{key}", api_key_id=None).status == 410
    assert call("GET", f"/links/{theirs}", api_key_id="owner-b").status == 200


def test_disable_and_enable_answer_the_changed_links(call: Call) -> None:
    keys = [create(call, title=f"t{i}") for i in range(2)]
    reply = bulk(call, keys=keys, action="disable")
    assert statuses(reply) == [(key, 200) for key in keys]
    for result in reply.json["results"]:
        assert result["link"]["disabled"] is True
        assert result["link"]["key"] == result["key"]
        assert set(result["link"]) == set(call("GET", f"/links/{result['key']}").json)
    assert call("GET", f"/{keys[0]}", api_key_id=None).status == 410
    reply = bulk(call, keys=keys, action="enable")
    assert [result["link"]["disabled"] for result in reply.json["results"]] == [False, False]
    assert call("GET", f"/links/{keys[1]}").json["disabled"] is False


def test_tag_actions_add_once_and_remove(call: Call) -> None:
    plain = create(call)
    tagged = create(call, tags=["keep", "old"])
    reply = bulk(call, keys=[plain, tagged], action="add_tags", tags=["New", "keep"])
    assert [result["link"]["tags"] for result in reply.json["results"]] == [
        ["new", "keep"],
        ["keep", "old", "new"],
    ]
    reply = bulk(call, keys=[plain, tagged], action="remove_tags", tags=["keep", "absent"])
    assert [result["link"]["tags"] for result in reply.json["results"]] == [["new"], ["old", "new"]]
    found = call("GET", "/links?tag=new").json["links"]
    assert {link["key"] for link in found} == {plain, tagged}


def test_a_link_that_would_hold_more_than_ten_tags_fails_alone(call: Call) -> None:
    full = create(call, tags=[f"t{i}" for i in range(9)])
    roomy = create(call)
    reply = bulk(call, keys=[full, roomy], action="add_tags", tags=["x", "y"])
    assert statuses(reply) == [(full, 400), (roomy, 200)]
    assert reply.json["results"][0]["error"]["code"] == "invalid_tags"
    assert len(call("GET", f"/links/{full}").json["tags"]) == 9


@pytest.mark.parametrize(
    "body",
    [
        {"keys": [], "action": "delete"},
        {"keys": [f"k{i:03}" for i in range(101)], "action": "delete"},
        {"keys": ["abc", "abc"], "action": "delete"},
        {"keys": "abc", "action": "delete"},
        {"keys": [5], "action": "delete"},
        {"keys": ["abc"]},
        {"keys": ["abc"], "action": "archive"},
        {"keys": ["abc"], "action": "delete", "tags": ["x"]},
        {"keys": ["abc"], "action": "disable", "tags": []},
        {"keys": ["abc"], "action": "add_tags"},
        {"keys": ["abc"], "action": "add_tags", "tags": []},
        {"keys": ["abc"], "action": "remove_tags", "tags": ["bad tag"]},
        {"keys": ["abc"], "action": "add_tags", "tags": [f"t{i}" for i in range(11)]},
        {"action": "delete"},
    ],
)
def test_a_bad_body_is_invalid_bulk(call: Call, body: dict[str, Any]) -> None:
    reply = call("POST", "/links/bulk", body=body)
    assert (reply.status, reply.error_code) == (400, "invalid_bulk")


def test_unknown_fields_and_non_objects(call: Call) -> None:
    reply = call("POST", "/links/bulk", body={"keys": ["abc"], "action": "delete", "force": True})
    assert (reply.status, reply.error_code) == (400, "unknown_field")
    reply = call("POST", "/links/bulk", body=["abc"])
    assert (reply.status, reply.error_code) == (400, "invalid_json")


def test_a_hundred_keys_are_accepted(call: Call) -> None:
    key = create(call)
    keys = [key, *(f"missing-{i}" for i in range(99))]
    reply = bulk(call, keys=keys, action="disable")
    assert statuses(reply) == [(key, 200), *((k, 404) for k in keys[1:])]


def test_an_idempotency_key_replays_the_first_answer(call: Call) -> None:
    keys = [create(call), create(call)]
    headers = {"Idempotency-Key": "bulk-1"}
    first = bulk(call, headers=headers, keys=keys, action="delete")
    again = bulk(call, headers=headers, keys=keys, action="delete")
    assert statuses(first) == [(key, 204) for key in keys]
    assert again.json == first.json
    other = bulk(call, headers=headers, keys=keys, action="disable")
    assert (other.status, other.error_code) == (422, "idempotency_mismatch")


def test_a_failing_dependency_is_that_keys_503(call: Call) -> None:
    keys = [create(call), create(call), create(call)]
    client = clients.dynamodb()

    def fail_the_middle_one(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "UpdateItem" and params.get("Key") == {"key": {"S": keys[1]}}:
            error = {"Error": {"Code": "InternalServerError", "Message": "down"}}
            raise ClientError(error, model.name)  # type: ignore[arg-type]

    client.meta.events.register_first("before-parameter-build.dynamodb", fail_the_middle_one)
    try:
        reply = bulk(call, keys=keys, action="disable")
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb", fail_the_middle_one)
    assert statuses(reply) == [(keys[0], 200), (keys[1], 503), (keys[2], 200)]
    assert reply.json["results"][1]["error"]["code"] == "service_unavailable"
    assert [call("GET", f"/links/{key}").json["disabled"] for key in keys] == [True, False, True]


@pytest.mark.parametrize("action", ["delete", "disable"])
def test_a_change_whose_every_answer_was_lost_is_decided_as_alone(
    call: Call, dynamodb: Any, action: str
) -> None:
    key = create(call)
    # A delete is one transaction (tombstone, counters frozen, GoneEvent); a disable, one update.
    operation = "TransactWriteItems" if action == "delete" else "UpdateItem"
    lost = LostAnswers(clients.dynamodb(), operation, table=LINKS, attempts=SDK_ATTEMPTS)
    reply = bulk(call, keys=[key], action=action)
    assert len(lost.lost) == SDK_ATTEMPTS
    assert statuses(reply) == [(key, 204 if action == "delete" else 200)]
    (item,) = [item for item in scan(dynamodb, LINKS) if item["key"]["S"] == key]
    assert ("deleted_at" in item) if action == "delete" else (item["disabled"] == {"BOOL": True})


def test_post_links_bulk_is_the_route_not_a_key(call: Call) -> None:
    """A route without parameters is tried before /links/<key>: POST /links/bulk is the bulk route."""
    key = create(call)
    assert statuses(bulk(call, keys=[key, "bulk"], action="disable")) == [(key, 200), ("bulk", 404)]


def test_a_tag_set_by_another_request_meanwhile_is_kept(call: Call) -> None:
    key = create(call, tags=["first"])
    client = clients.dynamodb()
    raced: list[str] = []

    def another_patch_first(model: Any, params: dict[str, Any], **_: Any) -> None:
        """Just before the bulk's write, another request sets the link's tags (once)."""
        if model.name == "UpdateItem" and "ConditionExpression" in params and not raced:
            raced.append(key)
            assert call("PATCH", f"/links/{key}", body={"tags": ["first", "theirs"]}).status == 200

    client.meta.events.register_first("before-parameter-build.dynamodb", another_patch_first)
    try:
        reply = bulk(call, keys=[key], action="add_tags", tags=["mine"])
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb", another_patch_first)
    assert raced == [key]
    assert statuses(reply) == [(key, 200)]
    assert reply.json["results"][0]["link"]["tags"] == ["first", "theirs", "mine"]
    assert call("GET", f"/links/{key}").json["tags"] == ["first", "theirs", "mine"]
