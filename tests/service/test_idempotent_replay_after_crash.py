"""An Idempotency-Key replayed after the first attempt died mid-create (CONTRACT §2, issue 20.1).

The first attempt writes its in-progress record, then its link (the claim transaction reaches
DynamoDB: the fault lets it through at botocore's ``before-send``), and dies before it can mark
the record complete: a kill -9 or a Lambda timeout, which no ``except`` sees. Its record stays
in progress until the attempt's time is up; a replay then must answer the link that attempt
wrote, never create a second one.
"""

from __future__ import annotations

from typing import Any

import pytest

from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import Call, scan

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
IDEMPOTENCY = DEFAULT_TABLES[Env.IDEMPOTENCY_TABLE]

pytestmark = pytest.mark.usefixtures("filled_pool")


class Died(BaseException):
    """The worker is gone (kill -9, a Lambda timeout): no ``except Exception`` runs."""


def die_after(table: str) -> None:
    """The next write to ``table`` (a PutItem, or a transaction that names it) is carried out by
    DynamoDB, then the process "dies" before the answer arrives."""
    from botocore.hooks import first_non_none_response

    from snip.data import clients

    client = clients.dynamodb()
    state = {"armed": True, "forwarding": False}

    def before_send(request: Any, event_name: str, **_: Any) -> Any:
        if not state["armed"] or state["forwarding"] or f'"{table}"'.encode() not in (request.body or b""):
            return None
        if not event_name.endswith((".PutItem", ".TransactWriteItems")):
            return None
        state["armed"] = False
        state["forwarding"] = True
        try:
            answer = first_non_none_response(client.meta.events.emit(event_name, request=request))
            if answer is None:
                client._endpoint.http_session.send(request)
        finally:
            state["forwarding"] = False
        raise Died

    client.meta.events.register_first("before-send.dynamodb", before_send)


def time_runs_out(dynamodb: Any) -> None:
    """The dead attempt's Lambda time is over: its in-progress record may be taken over."""
    (record,) = scan(dynamodb, IDEMPOTENCY)
    assert record["status"]["S"] == "INPROGRESS"
    dynamodb.update_item(
        TableName=IDEMPOTENCY,
        Key={"id": record["id"]},
        UpdateExpression="SET in_progress_expiration = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )


def post(call: Call, body: dict[str, Any], key: str = "crash-1") -> Any:
    return call("POST", "/links", body=body, headers={"Idempotency-Key": key}, api_key_id="owner-a")


@pytest.mark.parametrize(
    "body",
    [{"url": "https://example.com/once"}, {"url": "https://example.com/once", "alias": "my-alias"}],
    ids=["pool-key", "alias"],
)
def test_a_replay_after_the_first_attempt_died_answers_its_link(
    call: Call, dynamodb: Any, body: dict[str, Any]
) -> None:
    die_after(LINKS)
    with pytest.raises(Died):
        post(call, body)
    (written,) = scan(dynamodb, LINKS)

    in_flight = post(call, body)
    assert (in_flight.status, in_flight.error_code) == (409, "request_in_progress")

    time_runs_out(dynamodb)
    replay = post(call, body)
    assert replay.status == 201
    assert replay.json["key"] == written["key"]["S"]
    assert [item["key"]["S"] for item in scan(dynamodb, LINKS)] == [written["key"]["S"]]
    again = post(call, body)  # and from now on the record replays it
    assert again.json == replay.json
    assert len(scan(dynamodb, LINKS)) == 1


def test_a_replay_after_the_first_attempt_died_before_its_link_creates_it(call: Call, dynamodb: Any) -> None:
    die_after(IDEMPOTENCY)  # the in-progress record is written, then nothing
    with pytest.raises(Died):
        post(call, {"url": "https://example.com/never"})
    assert scan(dynamodb, LINKS) == []
    time_runs_out(dynamodb)
    replay = post(call, {"url": "https://example.com/never"})
    assert replay.status == 201
    assert [item["key"]["S"] for item in scan(dynamodb, LINKS)] == [replay.json["key"]]


def test_an_attempt_whose_record_was_taken_over_writes_no_link(call: Call, dynamodb: Any) -> None:
    """The first attempt is so slow that its time runs out before its claim is sent; a replay
    takes its record over and creates the link; the first attempt's claim then fails (409), so
    that the key still names one link."""
    from snip.data import clients

    body = {"url": "https://example.com/slow"}
    replays: list[Any] = []

    def replay_first(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "TransactWriteItems" and not replays:
            replays.append(None)
            time_runs_out(dynamodb)
            replays[0] = post(call, body)

    clients.dynamodb().meta.events.register("before-parameter-build.dynamodb", replay_first)
    slow = post(call, body)
    (replay,) = replays
    assert replay.status == 201
    assert (slow.status, slow.error_code) == (409, "request_in_progress")
    assert [item["key"]["S"] for item in scan(dynamodb, LINKS)] == [replay.json["key"]]
    assert post(call, body).json == replay.json  # the replay's record survived the slow one's failure


def post_batch(call: Call, bodies: list[dict[str, Any]], key: str = "batch-crash") -> Any:
    return call(
        "POST", "/links/batch", body={"links": bodies}, headers={"Idempotency-Key": key}, api_key_id="owner-a"
    )


@pytest.mark.parametrize("items", [3, 70], ids=["one transaction", "two transactions"])
def test_a_batch_replayed_after_its_first_attempt_died_answers_the_links_it_wrote(
    call: Call, dynamodb: Any, items: int
) -> None:
    """The attempt dies after its first transaction (of one or two): the replay answers the links
    that transaction wrote, creates the others, and never a second link for one item."""
    bodies = [{"url": f"https://example.com/batch/{n}"} for n in range(items)]
    die_after(LINKS)
    with pytest.raises(Died):
        post_batch(call, bodies)
    written = {item["url"]["S"]: item["key"]["S"] for item in scan(dynamodb, LINKS)}
    assert written
    time_runs_out(dynamodb)
    replay = post_batch(call, bodies)
    assert replay.status == 200, replay.body
    results = replay.json["results"]
    assert [r["status"] for r in results] == [201] * items
    answered = {r["link"]["url"]: r["link"]["key"] for r in results}
    assert {url: answered[url] for url in written} == written
    assert {item["url"]["S"]: item["key"]["S"] for item in scan(dynamodb, LINKS)} == answered
    assert post_batch(call, bodies).json == replay.json
