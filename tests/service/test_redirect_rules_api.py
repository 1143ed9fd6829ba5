"""Redirect rules, splits and forward_query on the links API (CONTRACT §2, "Redirect rules"): what
create, PATCH and batch accept and refuse, what every read shows, and how a link item keeps them."""

from __future__ import annotations

from typing import Any

import pytest

from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import BASE_URL, Call, scan

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
RULES = [
    {"when": {"country": ["DE", "AT"]}, "url": "https://example.com/de"},
    {"when": {"device": ["mobile"], "os": ["ios"]}, "url": "https://apps.apple.com/app/x"},
    {"when": {"language": ["fr"]}, "url": "https://example.com/fr"},
    {"when": {"query": {"src": "mail", "v": "2"}}, "url": "https://example.com/mail"},
]
SPLIT = [{"url": "https://example.com/a", "weight": 30}, {"url": "https://example.com/b", "weight": 70}]

pytestmark = pytest.mark.usefixtures("filled_pool")


def rule(when: Any, url: str = "https://e.com/") -> dict[str, Any]:
    return {"when": when, "url": url}


def create(call: Call, **body: Any) -> Any:
    return call("POST", "/links", body={"url": "https://example.com/page", **body})


def created(call: Call, **body: Any) -> dict[str, Any]:
    reply = create(call, **body)
    assert reply.status == 201, reply.body
    return dict(reply.json)


def test_create_returns_rules_split_and_forward_query_and_every_read_shows_them(call: Call) -> None:
    link = created(call, rules=RULES, split=SPLIT, forward_query=True, redirect_status=307)
    assert (link["rules"], link["split"], link["forward_query"]) == (RULES, SPLIT, True)
    read = call("GET", f"/links/{link['key']}").json
    assert (read["rules"], read["split"], read["forward_query"]) == (RULES, SPLIT, True)
    listed = next(item for item in call("GET", "/links").json["links"] if item["key"] == link["key"])
    assert (listed["rules"], listed["split"], listed["forward_query"]) == (RULES, SPLIT, True)


def test_a_link_item_keeps_them_as_two_compact_strings_and_a_flag(call: Call, dynamodb: Any) -> None:
    key = created(call, rules=RULES[:1], split=SPLIT, forward_query=True)["key"]
    bare = created(call)["key"]
    items = {item["key"]["S"]: item for item in scan(dynamodb, LINKS)}
    assert items[key]["rules"] == {"S": '[{"when":{"country":["DE","AT"]},"url":"https://example.com/de"}]'}
    assert set(items[key]["split"]) == {"S"}
    assert items[key]["forward_query"] == {"BOOL": True}
    assert not {"rules", "split", "forward_query"} & set(items[bare])  # a bare link's item is as before


@pytest.mark.parametrize(
    ("field", "value", "code", "message"),
    [
        ("rules", "x", "invalid_rules", "rules must be an array of rules."),
        ("rules", [RULES[0]] * 11, "invalid_rules", "rules holds at most 10 rules, not 11."),
        ("rules", [rule({})], "invalid_rules", "rules[0].when: name at least"),
        ("rules", [RULES[0], rule({"country": ["de"]})], "invalid_rules",
         'rules[1].when.country[0]: "de" is none of'),
        ("rules", [rule({"country": []})], "invalid_rules", "rules[0].when.country: a list"),
        ("rules", [rule({"device": ["phone"]})], "invalid_rules",
         'rules[0].when.device[0]: "phone" is none of mobile | tablet | desktop.'),
        ("rules", [rule({"os": ["ubuntu"]})], "invalid_rules", "rules[0].when.os[0]"),
        ("rules", [rule({"language": ["fr-CH"]})], "invalid_rules",
         "rules[0].when.language[0]"),
        ("rules", [rule({"query": {"qr": "1"}})], "invalid_rules",
         "rules[0].when.query: 'qr' is reserved"),
        ("rules", [rule({"query": {}})], "invalid_rules", "rules[0].when.query: an object"),
        ("rules", [rule({"query": {str(i): "x" for i in range(6)}})], "invalid_rules",
         "rules[0].when.query: an object of 1 to 5"),
        ("rules", [rule({"city": ["x"]})], "invalid_rules",
         "rules[0].when: unknown field 'city'."),
        ("rules", [{"when": {"country": ["DE"]}}], "invalid_rules", "rules[0].url: required."),
        ("rules", [rule({"country": ["DE"]}, "ftp://e.com/")], "invalid_rules",
         "rules[0].url: url must be an absolute http or https URL."),
        ("rules", [rule({"country": ["DE"]}, "https://u:p@e.com/")], "invalid_rules",
         "rules[0].url: url must not"),
        ("split", [SPLIT[0]], "invalid_split", "split has 2 to 5 targets, not 1."),
        ("split", [SPLIT[0]] * 6, "invalid_split", "split has 2 to 5 targets, not 6."),
        ("split", [SPLIT[0], SPLIT[0]], "invalid_split", "split: the weights must sum to 100, not 60."),
        ("split", [{"url": "https://e.com/", "weight": 100}, {"url": "https://e.com/", "weight": 0}],
         "invalid_split", "split[0].weight: an integer from 1 to 99."),
        ("split", [{"url": "https://e.com/", "weight": 50.0}, SPLIT[0]], "invalid_split", "split[0].weight"),
        ("split", [SPLIT[0], {"url": "https://e.com/\n", "weight": 70}], "invalid_split",
         "split[1].url: url must not"),
        ("split", None, "invalid_split", "split must be an array"),
        ("forward_query", "yes", "invalid_forward_query", "forward_query: Input should be a valid boolean."),
        ("forward_query", None, "invalid_forward_query", "forward_query: Input should be a valid boolean."),
    ],
)  # fmt: skip
def test_create_refuses_a_bad_item_naming_it(
    call: Call, field: str, value: Any, code: str, message: str
) -> None:
    reply = create(call, **{field: value})
    assert (reply.status, reply.error_code) == (400, code), reply.body
    assert reply.json["error"]["message"].startswith(message), reply.json


@pytest.mark.parametrize("status", [301, 308])
@pytest.mark.parametrize("given", [{"rules": RULES[:1]}, {"split": SPLIT}])
def test_a_link_with_rules_or_a_split_redirects_with_302_or_307(call: Call, status: int, given: Any) -> None:
    reply = create(call, redirect_status=status, **given)
    assert (reply.status, reply.error_code) == (400, "invalid_rules"), reply.body
    assert created(call, redirect_status=307, **given)["redirect_status"] == 307


@pytest.mark.parametrize(
    "own",
    [f"{BASE_URL}/x", "https://SHO.RT./x", "https://sho.rt\u3002/x", "https://\uff53\uff48\uff4f.rt/x"],
)
def test_every_target_is_refused_when_it_points_at_snip(call: Call, own: str) -> None:
    rules = [RULES[0], {"when": {"country": ["FR"]}, "url": own}]
    reply = create(call, rules=rules)
    assert (reply.status, reply.error_code) == (400, "invalid_rules")
    assert reply.json["error"]["message"] == "rules[1].url must not point at this shortener."
    reply = create(call, split=[SPLIT[0], {"url": own, "weight": 70}])
    assert (reply.status, reply.error_code) == (400, "invalid_split")
    assert reply.json["error"]["message"] == "split[1].url must not point at this shortener."
    key = created(call)["key"]
    reply = call("PATCH", f"/links/{key}", body={"rules": rules})
    assert (reply.status, reply.error_code) == (400, "invalid_rules")


def test_patch_replaces_rules_and_split_whole_and_empty_or_null_removes(call: Call, dynamodb: Any) -> None:
    key = created(call, rules=RULES, split=SPLIT, forward_query=True)["key"]
    reply = call("PATCH", f"/links/{key}", body={"rules": RULES[2:3]})
    assert reply.status == 200, reply.body
    assert (reply.json["rules"], reply.json["split"], reply.json["forward_query"]) == (
        RULES[2:3],
        SPLIT,
        True,
    )
    reply = call("PATCH", f"/links/{key}", body={"rules": [], "split": None, "forward_query": None})
    assert (reply.json["rules"], reply.json["split"], reply.json["forward_query"]) == ([], [], False)
    item = next(item for item in scan(dynamodb, LINKS) if item["key"]["S"] == key)
    assert not {"rules", "split", "forward_query"} & set(item)
    reply = call("PATCH", f"/links/{key}", body={"split": SPLIT, "forward_query": True})
    assert (reply.json["rules"], reply.json["split"], reply.json["forward_query"]) == ([], SPLIT, True)
    reply = call("PATCH", f"/links/{key}", body={"forward_query": False})
    assert reply.json["forward_query"] is False


def test_patch_keeps_a_link_with_rules_on_302_or_307(call: Call) -> None:
    permanent = created(call, redirect_status=301)["key"]
    reply = call("PATCH", f"/links/{permanent}", body={"rules": RULES[:1]})
    assert (reply.status, reply.error_code) == (400, "invalid_rules"), reply.body
    reply = call("PATCH", f"/links/{permanent}", body={"split": SPLIT, "redirect_status": 308})
    assert (reply.status, reply.error_code) == (400, "invalid_rules"), reply.body
    reply = call("PATCH", f"/links/{permanent}", body={"split": SPLIT, "redirect_status": 307})
    assert reply.status == 200
    assert reply.json["split"] == SPLIT
    reply = call("PATCH", f"/links/{permanent}", body={"redirect_status": 301})
    assert (reply.status, reply.error_code) == (400, "invalid_rules"), reply.body
    reply = call("PATCH", f"/links/{permanent}", body={"redirect_status": 301, "split": []})
    assert reply.status == 200
    assert (reply.json["redirect_status"], reply.json["split"]) == (301, [])
    # Another owner's link, or none, stays a 404 whatever the rules say.
    assert call("PATCH", "/links/nosuchkey", body={"rules": RULES[:1]}).status == 404


def test_batch_items_carry_rules_and_fail_alone(call: Call) -> None:
    reply = call(
        "POST",
        "/links/batch",
        body={
            "links": [
                {"url": "https://example.com/1", "rules": RULES, "split": SPLIT},
                {"url": "https://example.com/2", "split": SPLIT[:1]},
                {"url": "https://example.com/3", "rules": RULES, "redirect_status": 308},
            ]
        },
    )
    assert reply.status == 200, reply.body
    first, second, third = reply.json["results"]
    assert first["status"] == 201
    assert (first["link"]["rules"], first["link"]["split"]) == (RULES, SPLIT)
    assert (second["status"], second["error"]["code"]) == (400, "invalid_split")
    assert (third["status"], third["error"]["code"]) == (400, "invalid_rules")
