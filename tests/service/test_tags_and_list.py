"""Tags on create and PATCH, and GET /links: CONTRACT §2, rule by rule."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from snip.data.link_items import LISTED_AT
from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import Call, create_link, scan

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]

pytestmark = pytest.mark.usefixtures("filled_pool")


create = create_link


def listing(call: Call, query: str = "", owner: str = "owner-a") -> Any:
    return call("GET", f"/links{'?' + query if query else ''}", api_key_id=owner)


class TestTags:
    def test_tags_are_lowered_kept_in_order_and_shown_everywhere(self, call: Call) -> None:
        link = create(call, tags=["Launch", "q3", "a_b-c"])
        assert link["tags"] == ["launch", "q3", "a_b-c"]
        assert call("GET", f"/links/{link['key']}").json["tags"] == ["launch", "q3", "a_b-c"]
        assert listing(call).json["links"][0]["tags"] == ["launch", "q3", "a_b-c"]

    def test_no_tags_is_an_empty_list(self, call: Call) -> None:
        assert create(call)["tags"] == []

    def test_ten_tags_of_32_characters_are_accepted(self, call: Call) -> None:
        tags = [f"{i}".rjust(32, "t") for i in range(10)]
        assert create(call, tags=tags)["tags"] == tags

    @pytest.mark.parametrize(
        "tags",
        [
            [f"t{i}" for i in range(11)],  # more than 10
            ["a" * 33],  # too long
            [""],  # empty
            ["has space"],
            ["ümlaut"],
            ["dot.ted"],
            ["same", "SAME"],  # not distinct once lowered
            ["x", "x"],
            "launch",  # not a list
            [1],
            None,
        ],
    )
    def test_invalid_tags(self, call: Call, tags: Any) -> None:
        reply = call("POST", "/links", body={"url": "https://example.com/", "tags": tags})
        assert (reply.status, reply.error_code) == (400, "invalid_tags"), reply.body

    def test_patch_replaces_and_clears_tags(self, call: Call) -> None:
        key = create(call, tags=["old"])["key"]
        reply = call("PATCH", f"/links/{key}", body={"tags": ["New", "two"]})
        assert (reply.status, reply.json["tags"]) == (200, ["new", "two"])
        assert call("PATCH", f"/links/{key}", body={"tags": []}).json["tags"] == []
        assert call("GET", f"/links/{key}").json["tags"] == []

    @pytest.mark.parametrize("tags", [None, ["a", "A"], ["bad tag"]])
    def test_patch_refuses_invalid_tags(self, call: Call, tags: Any) -> None:
        key = create(call)["key"]
        reply = call("PATCH", f"/links/{key}", body={"tags": tags})
        assert (reply.status, reply.error_code) == (400, "invalid_tags")


class TestList:
    def test_newest_first_with_the_fields_of_get_link(self, call: Call, dynamodb: Any) -> None:
        keys = [create(call, alias=f"link-{i}")["key"] for i in range(3)]
        # Same second: the index sorts on "<created_at>#<key>"; make the times differ.
        for i, key in enumerate(keys):
            created = f"2026-01-0{i + 1}T00:00:00Z"
            dynamodb.update_item(
                TableName=LINKS,
                Key={"key": {"S": key}},
                UpdateExpression="SET created_at = :c, listed_at = :l",
                ExpressionAttributeValues={":c": {"S": created}, ":l": {"S": f"{created}#{key}"}},
            )
        reply = listing(call)
        assert reply.status == 200
        page = reply.json
        assert [link["key"] for link in page["links"]] == keys[::-1]
        assert page["next_cursor"] is None
        assert page["links"][0] == call("GET", f"/links/{keys[-1]}").json

    def test_pages_follow_the_cursor_to_the_end(self, call: Call) -> None:
        created = {create(call)["key"] for _ in range(7)}
        seen: list[str] = []
        cursor = None
        pages = 0
        while True:
            query = "limit=3" + (f"&cursor={cursor}" if cursor else "")
            page = listing(call, query).json
            pages += 1
            seen += [link["key"] for link in page["links"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert len(page["links"]) == 3
        assert pages == 3
        assert sorted(seen) == sorted(created)  # each once, none lost

    def test_default_limit_is_25(self, call: Call) -> None:
        for _ in range(26):
            create(call)
        page = listing(call).json
        assert len(page["links"]) == 25
        assert page["next_cursor"]
        assert len(listing(call, f"cursor={page['next_cursor']}").json["links"]) == 1

    def test_deleted_links_are_never_listed(self, call: Call, dynamodb: Any) -> None:
        kept, gone = create(call)["key"], create(call)["key"]
        assert call("DELETE", f"/links/{gone}").status == 204
        assert [link["key"] for link in listing(call).json["links"]] == [kept]
        tombstone = next(i for i in scan(dynamodb, LINKS) if i["key"]["S"] == gone)
        assert LISTED_AT not in tombstone  # out of the index, not filtered at read time

    def test_only_the_owners_links(self, call: Call) -> None:
        mine = create(call, owner="owner-a")["key"]
        create(call, owner="owner-b")
        assert [link["key"] for link in listing(call, owner="owner-a").json["links"]] == [mine]

    def test_tag_filter_reads_on_past_links_without_the_tag(self, call: Call) -> None:
        tagged = {create(call, tags=["Blue"])["key"] for _ in range(3)}
        for _ in range(5):
            create(call, tags=["red"])
        page = listing(call, "tag=BLUE&limit=2").json
        assert len(page["links"]) == 2
        rest = listing(call, f"tag=blue&limit=2&cursor={page['next_cursor']}").json
        assert {link["key"] for link in page["links"] + rest["links"]} == tagged
        assert rest["next_cursor"] is None
        assert all("blue" in link["tags"] for link in page["links"] + rest["links"])

    def test_a_tag_removed_by_patch_leaves_the_filter(self, call: Call) -> None:
        key = create(call, tags=["x"])["key"]
        call("PATCH", f"/links/{key}", body={"tags": []})
        assert listing(call, "tag=x").json == {"links": [], "next_cursor": None}

    @pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "2.5", ""])
    def test_invalid_limit(self, call: Call, limit: str) -> None:
        reply = listing(call, f"limit={limit}")
        assert (reply.status, reply.error_code) == (400, "invalid_limit"), reply.body

    @pytest.mark.parametrize("limit", ["1", "100"])
    def test_limit_bounds_are_accepted(self, call: Call, limit: str) -> None:
        assert listing(call, f"limit={limit}").status == 200

    def test_invalid_tag_filter(self, call: Call) -> None:
        reply = listing(call, "tag=not%20a%20tag")
        assert (reply.status, reply.error_code) == (400, "invalid_tags")

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage",
            "",
            base64.urlsafe_b64encode(b'{"o":"owner-a"}').decode(),
            base64.urlsafe_b64encode(b'{"o":"owner-a","p":"2026-01-01T00:00:00Z#a/b"}').decode(),
            base64.urlsafe_b64encode(b"[1, 2]").decode(),
        ],
    )
    def test_invalid_cursor(self, call: Call, cursor: str) -> None:
        reply = listing(call, f"cursor={cursor}")
        assert (reply.status, reply.error_code) == (400, "invalid_cursor"), reply.body

    def test_another_owners_cursor_is_refused(self, call: Call) -> None:
        for _ in range(2):
            create(call, owner="owner-b")
        cursor = listing(call, "limit=1", owner="owner-b").json["next_cursor"]
        assert cursor
        reply = listing(call, f"cursor={cursor}", owner="owner-a")
        assert (reply.status, reply.error_code) == (400, "invalid_cursor")
        # and the cursor itself names its owner: nothing else in it could select a partition
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        assert decoded["o"] == "owner-b"

    def test_a_page_is_one_query_and_two_batch_reads(self, call: Call, requests_made: list[str]) -> None:
        """The index's page, the links, and their counters items (apart from the links)."""
        for _ in range(5):
            create(call)
        requests_made.clear()
        assert len(listing(call, "limit=3").json["links"]) == 3
        assert requests_made == ["Query", "BatchGetItem", "BatchGetItem"]
