"""POST /links and GET, PATCH, DELETE /links/{key}: CONTRACT §2, field by field."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from snip.data.link_memory import LINK_MEMORY_SECONDS
from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import BASE_URL, Call, LambdaContext, ResolveClock, scan
from tests.service.lambda_events import rest_event, to_reply

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
FUTURE = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)


def create(call: Call, **body: object) -> dict:
    reply = call("POST", "/links", body={"url": "https://example.com/page", **body})
    assert reply.status == 201, reply.body
    return reply.json


@pytest.mark.usefixtures("filled_pool")
class TestCreate:
    def test_created_link_has_every_field(self, call: Call) -> None:
        reply = call("POST", "/links", body={"url": "https://example.com/a?b=c#d"})
        assert reply.status == 201
        link = reply.json
        assert set(link) == {
            "key", "short_url", "url", "created_at", "expires_at", "max_visits",
            "redirect_status", "tags", "title", "notes", "visits",
            "rules", "split", "forward_query",
        }  # fmt: skip
        assert re.fullmatch(r"[0-9A-Za-z]{7}", link["key"])
        assert link["short_url"] == f"{BASE_URL}/{link['key']}"
        assert link["url"] == "https://example.com/a?b=c#d"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", link["created_at"])
        assert link["expires_at"] is None
        assert link["max_visits"] is None
        assert link["redirect_status"] == 302
        assert (link["rules"], link["split"], link["forward_query"]) == ([], [], False)
        assert link["visits"] == 0
        assert reply.headers["Location"] == f"/links/{link['key']}"
        assert reply.headers["Content-Type"] == "application/json"

    def test_optional_fields_are_kept(self, call: Call) -> None:
        expires = FUTURE.astimezone(timezone_plus_two()).isoformat()
        link = create(call, expires_at=expires, max_visits=3, redirect_status=308)
        assert link["expires_at"] == FUTURE.strftime("%Y-%m-%dT%H:%M:%SZ")  # stored as UTC
        assert link["max_visits"] == 3
        assert link["redirect_status"] == 308

    @pytest.mark.parametrize("status", [301, 302, 307, 308])
    def test_each_redirect_status_is_accepted(self, call: Call, status: int) -> None:
        assert create(call, redirect_status=status)["redirect_status"] == status

    def test_alias_becomes_the_key(self, call: Call) -> None:
        link = create(call, alias="My_Link-1")
        assert link["key"] == "My_Link-1"
        assert link["short_url"] == f"{BASE_URL}/My_Link-1"

    def test_alias_taken_by_a_live_link(self, call: Call) -> None:
        create(call, alias="taken")
        reply = call("POST", "/links", body={"url": "https://other.example", "alias": "taken"})
        assert (reply.status, reply.error_code) == (409, "alias_taken")

    def test_alias_taken_by_a_deleted_link(self, call: Call) -> None:
        create(call, alias="gone-one")
        assert call("DELETE", "/links/gone-one").status == 204
        reply = call("POST", "/links", body={"url": "https://other.example", "alias": "gone-one"})
        assert (reply.status, reply.error_code) == (409, "alias_taken")

    def test_aliases_are_case_sensitive(self, call: Call) -> None:
        create(call, alias="Case")
        assert create(call, alias="case")["key"] == "case"

    def test_generated_keys_are_distinct(self, call: Call) -> None:
        keys = {create(call)["key"] for _ in range(30)}
        assert len(keys) == 30

    def test_owner_is_the_api_key_id(self, call: Call, dynamodb: object) -> None:
        key = create(call)["key"]
        items = {i["key"]["S"]: i for i in scan(dynamodb, LINKS)}
        assert items[key]["owner"]["S"] == "owner-a"


def timezone_plus_two():
    from datetime import timezone

    return timezone(timedelta(hours=2))


INVALID_BODIES = [
    # url
    ({"url": "ftp://example.com/x"}, "invalid_url"),
    ({"url": "example.com/x"}, "invalid_url"),
    ({"url": "https://"}, "invalid_url"),
    ({"url": "https://user:pass@example.com/"}, "invalid_url"),
    ({"url": "https://example.com/a b"}, "invalid_url"),
    ({"url": "https://example.com/\u202eevil"}, "invalid_url"),
    ({"url": "https://example.com/\x00"}, "invalid_url"),
    ({"url": "https://example.com/" + "a" * 2048}, "invalid_url"),
    ({"url": "https://sho.rt/loop"}, "invalid_url"),
    ({"url": "https://SHO.RT./loop"}, "invalid_url"),
    ({"url": "https://abc123.execute-api.us-east-1.amazonaws.com/prod/x"}, "invalid_url"),
    ({"url": "javascript:alert(1)"}, "invalid_url"),
    ({"url": 42}, "invalid_url"),
    ({"url": None}, "invalid_url"),
    ({}, "invalid_url"),
    # alias
    ({"url": "https://e.com", "alias": "ab"}, "invalid_alias"),
    ({"url": "https://e.com", "alias": "a" * 65}, "invalid_alias"),
    ({"url": "https://e.com", "alias": "has space"}, "invalid_alias"),
    ({"url": "https://e.com", "alias": "dot.ted"}, "invalid_alias"),
    ({"url": "https://e.com", "alias": "LINKS"}, "invalid_alias"),
    ({"url": "https://e.com", "alias": "health"}, "invalid_alias"),
    ({"url": "https://e.com", "alias": "OpenAPI"}, "invalid_alias"),
    ({"url": "https://e.com", "alias": 123}, "invalid_alias"),
    # expires_at
    ({"url": "https://e.com", "expires_at": "2020-01-01T00:00:00Z"}, "invalid_expires_at"),
    ({"url": "https://e.com", "expires_at": "2999-01-01T00:00:00"}, "invalid_expires_at"),
    ({"url": "https://e.com", "expires_at": "2999-01-01"}, "invalid_expires_at"),
    ({"url": "https://e.com", "expires_at": "tomorrow"}, "invalid_expires_at"),
    ({"url": "https://e.com", "expires_at": 4102444800}, "invalid_expires_at"),
    # max_visits
    ({"url": "https://e.com", "max_visits": 0}, "invalid_max_visits"),
    ({"url": "https://e.com", "max_visits": 1_000_000_001}, "invalid_max_visits"),
    ({"url": "https://e.com", "max_visits": "5"}, "invalid_max_visits"),
    ({"url": "https://e.com", "max_visits": 2.5}, "invalid_max_visits"),
    ({"url": "https://e.com", "max_visits": True}, "invalid_max_visits"),
    # redirect_status
    ({"url": "https://e.com", "redirect_status": 303}, "invalid_redirect_status"),
    ({"url": "https://e.com", "redirect_status": "302"}, "invalid_redirect_status"),
    ({"url": "https://e.com", "redirect_status": None}, "invalid_redirect_status"),
    ({"url": "https://e.com", "redirect_status": 301.0}, "invalid_redirect_status"),
    # unknown fields
    ({"url": "https://e.com", "owner": "someone-else"}, "unknown_field"),
    ({"url": "https://e.com", "visits": 10}, "unknown_field"),
]


@pytest.mark.usefixtures("filled_pool")
@pytest.mark.parametrize(("body", "code"), INVALID_BODIES)
def test_invalid_create_is_400_with_its_code_and_writes_nothing(
    call: Call, dynamodb: object, body: dict, code: str
) -> None:
    before = scan(dynamodb, LINKS)
    reply = call("POST", "/links", body=body)
    assert (reply.status, reply.error_code) == (400, code), reply.body
    assert reply.json["error"]["message"]
    assert scan(dynamodb, LINKS) == before


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"a string"', "null", "42", " "])
def test_body_that_is_not_a_json_object_is_invalid_json(call: Call, raw: str) -> None:
    reply = call("POST", "/links", body=raw, headers={"Content-Type": "application/json"})
    assert (reply.status, reply.error_code) == (400, "invalid_json")


@pytest.mark.parametrize("media", ["text/plain", "application/x-www-form-urlencoded", None])
def test_other_media_type_is_415(call: Call, media: str | None) -> None:
    reply = call("POST", "/links", body=json.dumps({"url": "https://e.com"}), headers={"Content-Type": media})
    assert (reply.status, reply.error_code) == (415, "unsupported_media_type")


def test_json_with_charset_is_accepted(call: Call, filled_pool: None) -> None:
    reply = call(
        "POST",
        "/links",
        body=json.dumps({"url": "https://e.com"}),
        headers={"Content-Type": "Application/JSON; charset=utf-8"},
    )
    assert reply.status == 201


def test_body_over_16_kib_is_413(call: Call, dynamodb: object) -> None:
    body = json.dumps({"url": "https://e.com/", "alias": "x" * (16 * 1024)})
    reply = call("POST", "/links", body=body)
    assert (reply.status, reply.error_code) == (413, "body_too_large")
    assert scan(dynamodb, LINKS) == []


@pytest.mark.usefixtures("filled_pool")
class TestGet:
    def test_owner_sees_every_field(self, call: Call) -> None:
        key = create(call, max_visits=5)["key"]
        call("GET", f"/{key}")
        reply = call("GET", f"/links/{key}")
        assert reply.status == 200
        link = reply.json
        assert link["key"] == key
        assert link["visits"] == 1
        assert link["bot_visits"] == 0
        assert link["last_visit_at"] is not None
        assert link["disabled"] is False
        assert link["max_visits"] == 5

    def test_another_owner_gets_404_like_a_missing_link(self, call: Call) -> None:
        key = create(call)["key"]
        theirs = call("GET", f"/links/{key}", api_key_id="owner-b")
        missing = call("GET", "/links/Nope123")
        assert (theirs.status, theirs.error_code) == (404, "link_not_found")
        assert (missing.status, missing.error_code) == (404, "link_not_found")
        assert theirs.json["error"]["message"] == missing.json["error"]["message"]

    def test_impossible_key_is_404(self, call: Call) -> None:
        assert call("GET", "/links/" + "x" * 65).status == 404


@pytest.mark.usefixtures("filled_pool")
class TestPatch:
    def test_changes_each_field(self, call: Call) -> None:
        key = create(call)["key"]
        expires = FUTURE.strftime("%Y-%m-%dT%H:%M:%SZ")
        reply = call(
            "PATCH",
            f"/links/{key}",
            body={
                "url": "https://changed.example/",
                "expires_at": expires,
                "max_visits": 9,
                "redirect_status": 301,
                "disabled": True,
            },
        )
        assert reply.status == 200, reply.body
        link = reply.json
        assert link["url"] == "https://changed.example/"
        assert link["expires_at"] == expires
        assert (link["max_visits"], link["redirect_status"], link["disabled"]) == (9, 301, True)
        assert call("GET", f"/links/{key}").json == link

    def test_null_clears_expiry_and_max_visits(self, call: Call) -> None:
        key = create(call, max_visits=1, expires_at=FUTURE.isoformat())["key"]
        link = call("PATCH", f"/links/{key}", body={"max_visits": None, "expires_at": None}).json
        assert (link["max_visits"], link["expires_at"]) == (None, None)

    def test_re_enabling_restores_the_redirect(self, call: Call, resolve_clock: ResolveClock) -> None:
        key = create(call)["key"]
        call("PATCH", f"/links/{key}", body={"disabled": True})
        assert call("GET", f"/{key}").status == 410
        call("PATCH", f"/links/{key}", body={"disabled": False})
        resolve_clock.advance(LINK_MEMORY_SECONDS)  # resolve may answer from memory until then
        assert call("GET", f"/{key}").status == 302

    def test_empty_patch_returns_the_link(self, call: Call) -> None:
        key = create(call)["key"]
        reply = call("PATCH", f"/links/{key}", body={})
        assert (reply.status, reply.json["key"]) == (200, key)

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({"url": None}, "invalid_url"),
            ({"url": "mailto:a@b.c"}, "invalid_url"),
            ({"url": "https://sho.rt/self"}, "invalid_url"),
            ({"redirect_status": None}, "invalid_redirect_status"),
            ({"redirect_status": 200}, "invalid_redirect_status"),
            ({"disabled": None}, "invalid_disabled"),
            ({"disabled": "yes"}, "invalid_disabled"),
            ({"max_visits": 0}, "invalid_max_visits"),
            ({"expires_at": "2001-01-01T00:00:00+00:00"}, "invalid_expires_at"),
            ({"alias": "new-name"}, "unknown_field"),
            ({"key": "other"}, "unknown_field"),
        ],
    )
    def test_invalid_patch_is_400_and_changes_nothing(self, call: Call, body: dict, code: str) -> None:
        key = create(call)["key"]
        before = call("GET", f"/links/{key}").json
        reply = call("PATCH", f"/links/{key}", body=body)
        assert (reply.status, reply.error_code) == (400, code), reply.body
        assert call("GET", f"/links/{key}").json == before

    def test_another_owner_cannot_patch(self, call: Call) -> None:
        key = create(call)["key"]
        reply = call("PATCH", f"/links/{key}", body={"disabled": True}, api_key_id="owner-b")
        assert (reply.status, reply.error_code) == (404, "link_not_found")
        assert call("GET", f"/links/{key}").json["disabled"] is False

    def test_deleted_link_cannot_be_patched(self, call: Call) -> None:
        key = create(call)["key"]
        call("DELETE", f"/links/{key}")
        assert call("PATCH", f"/links/{key}", body={"disabled": False}).status == 404

    def test_patch_needs_json(self, call: Call) -> None:
        key = create(call)["key"]
        reply = call("PATCH", f"/links/{key}", body="x", headers={"Content-Type": "text/plain"})
        assert reply.status == 415


@pytest.mark.usefixtures("filled_pool")
class TestDelete:
    def test_delete_leaves_a_tombstone(self, call: Call, dynamodb: object) -> None:
        key = create(call)["key"]
        reply = call("DELETE", f"/links/{key}")
        assert (reply.status, reply.body) == (204, "")
        assert call("GET", f"/{key}").status == 410
        assert call("GET", f"/links/{key}").status == 404
        (item,) = [i for i in scan(dynamodb, LINKS) if i["key"]["S"] == key]
        assert "deleted_at" in item
        assert "url" not in item  # the target is forgotten, the key is not

    def test_delete_twice_is_404(self, call: Call) -> None:
        key = create(call)["key"]
        assert call("DELETE", f"/links/{key}").status == 204
        assert call("DELETE", f"/links/{key}").status == 404

    def test_another_owner_cannot_delete(self, call: Call) -> None:
        key = create(call)["key"]
        assert call("DELETE", f"/links/{key}", api_key_id="owner-b").status == 404
        assert call("GET", f"/{key}").status == 302


def test_health(call: Call) -> None:
    reply = call("GET", "/health", api_key_id=None)
    assert (reply.status, reply.json) == (200, {"status": "ok"})


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_json_nested_deeper_than_the_parser_is_invalid_json(call: Call, method: str) -> None:
    path = "/links" if method == "POST" else "/links/Abc1234"
    reply = call(method, path, body="[" * 1000 + "]" * 1000)
    assert (reply.status, reply.error_code) == (400, "invalid_json")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_json_that_is_not_utf8_is_invalid_json(handlers: dict, encoding: str) -> None:
    raw = json.dumps({"url": "https://e.com/b"}).encode(encoding)
    _, event = rest_event("POST", "/links", body="placeholder")
    event["body"] = base64.b64encode(raw).decode()
    event["isBase64Encoded"] = True
    reply = to_reply(handlers["shorten"](event, LambdaContext()))
    assert (reply.status, reply.error_code) == (400, "invalid_json")
