"""The other half of a timeout: DynamoDB did the write, but its answer never came back.

A client cannot tell this 503 from one where nothing was written, so it retries. The run checks
what must still hold — no 500, no key handed out twice, every 201 resolves, a retrying
Idempotency-Key client ends with a working link — and counts what such retries leave behind.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from snip import aws
from snip.settings import DEFAULT_TABLES, Env
from tests.reliability import figures
from tests.reliability.chaos import ENDPOINT, Chaos
from tests.reliability.clients import Driver
from tests.reliability.conftest import LONG
from tests.reliability.test_faults import RETRIES, links_by_key

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
ROUNDS = 200 if LONG else 40


@pytest.mark.usefixtures("filled_pool")
def test_lost_responses_at_10_percent(handlers: dict[str, Any], dynamodb: Any) -> None:
    drive = Driver(handlers)
    chaos = Chaos(aws.dynamodb(), 0.10, seed=404, lost_responses=True)
    given: dict[str, str] = {}
    handed_out: list[str] = []
    seen: Counter[str] = Counter()

    chaos.enabled = True
    for n in range(ROUNDS):
        url = f"https://example.com/lost/{n}"
        for _ in range(RETRIES):  # a plain client: retries a 503 with no Idempotency-Key
            reply = drive("POST", "/links", body={"url": url})
            if reply.status != 503:
                break
        assert reply.status == 201, reply.body
        given[reply.json["key"]] = url
        handed_out.append(reply.json["key"])

        body = {"url": f"https://example.com/lost-idempotent/{n}"}
        reply = drive.idempotent_create(body, f"lost-{n}", attempts=RETRIES)
        if reply.status == 201:
            given[reply.json["key"]] = body["url"]
            handed_out.append(reply.json["key"])
        else:
            seen[f"idempotent {reply.status} {reply.error_code}"] += 1

        key = handed_out[n % len(handed_out)]
        reply = drive("GET", f"/{key}", api_key_id=None)
        seen[f"redirect {reply.status}"] += 1
    chaos.enabled = False

    assert len(handed_out) == len(set(handed_out))
    stored = links_by_key(dynamodb)
    for key, url in given.items():
        assert stored.get(key) == url
        assert drive("GET", f"/{key}", api_key_id=None).status == 302
    orphans = set(stored) - set(given)
    figures.record(
        "lost responses 10%",
        rounds=ROUNDS,
        lost_responses=chaos.injected["lost_response"],
        statuses=dict(sorted(drive.statuses.items())),
        answers_500=drive.statuses[500],
        duplicate_keys=0,
        lost_links=0,
        links_nobody_was_given=len(orphans),
        outcomes=dict(sorted(seen.items())),
    )


def lose_first_response(client: Any, operation: str) -> list[str]:
    """The first ``operation`` that writes the links table is done, and its answer lost."""
    lost: list[str] = []
    writes_links = [False]

    def before_call(params: dict[str, Any], **_: Any) -> None:
        writes_links[0] = f'"{LINKS}"'.encode() in (params.get("body") or b"")

    def after_call(model: Any, **_: Any) -> None:
        if not lost and writes_links[0]:
            lost.append(model.name)
            raise ReadTimeoutError(endpoint_url=ENDPOINT)

    client.meta.events.register_first(f"before-call.dynamodb.{operation}", before_call)
    client.meta.events.register_first(f"after-call.dynamodb.{operation}", after_call)
    return lost


# Found by this suite, fixed in 5fc6370: the retry answered 409 alias_taken for the client's own link.
@pytest.mark.usefixtures("filled_pool")
def test_an_idempotent_aliased_create_survives_a_lost_response(handlers: dict[str, Any]) -> None:
    drive = Driver(handlers)
    lost = lose_first_response(aws.dynamodb(), "PutItem")
    body = {"url": "https://example.com/mine", "alias": "my-own-alias"}
    reply = drive.idempotent_create(body, "alias-once")
    assert lost == ["PutItem"]
    assert (reply.status, reply.json.get("key")) == (201, "my-own-alias"), reply.body


# Found by this suite, fixed in 5fc6370: the retry claimed a second key (two links, one request).
@pytest.mark.usefixtures("filled_pool")
def test_an_idempotent_create_survives_a_lost_response(handlers: dict[str, Any], dynamodb: Any) -> None:
    drive = Driver(handlers)
    lost = lose_first_response(aws.dynamodb(), "TransactWriteItems")
    body = {"url": "https://example.com/just-one"}
    reply = drive.idempotent_create(body, "claim-once")
    assert lost == ["TransactWriteItems"]
    assert reply.status == 201
    assert [k for k, url in links_by_key(dynamodb).items() if url == body["url"]] == [reply.json["key"]]
