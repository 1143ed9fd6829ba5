"""The one 503 whose visit may be counted (issue 20.5; docs/reliability.md, "The one exception").

The contract counts a visit if and only if it was answered with a redirect. resolve writes the
visit event before it answers; when that write's outcome stays unknown it cannot keep both
halves: its first attempt was carried out but every answer was lost (botocore's attempts and
resolve's own resend), and the strongly consistent read that would decide fails as well. resolve
then answers 503 (a redirect that might not be counted would break "none lost"; a 503 asks the
client to retry), and the event it may have written is counted. This pins that exception; with
the read answering, the same loss is a redirect (test_visit_events_path.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from snip.data import clients
from tests.service import sdk_faults
from tests.service.conftest import Call
from tests.service.test_links_api import create
from tests.service.visits_table_setup import VISITS, visit_events

pytestmark = pytest.mark.usefixtures("filled_pool")


def unreadable_events(client: Any) -> list[str]:
    """Every GetItem of the visits table fails after the SDK's retries (503), none other."""
    refused: list[str] = []

    def before_call(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "GetItem" and VISITS.encode() in (params.get("body") or b""):
            refused.append(model.name)
            raise ClientError(
                {
                    "Error": {"Code": "ServiceUnavailable", "Message": "unavailable"},
                    "ResponseMetadata": {"HTTPStatusCode": 503, "RetryAttempts": 2},
                },
                model.name,
            )

    client.meta.events.register_first("before-call.dynamodb", before_call)
    return refused


def test_an_event_written_then_unverifiable_is_a_503_whose_visit_is_counted(
    call: Call, dynamodb: Any
) -> None:
    key = create(call)["key"]
    lose = sdk_faults.LostAnswers(
        clients.dynamodb(), "PutItem", table=VISITS, attempts=2 * sdk_faults.SDK_ATTEMPTS
    )
    refused = unreadable_events(clients.dynamodb())
    reply = call("GET", f"/{key}", api_key_id=None)
    assert len(lose.lost) == 2 * sdk_faults.SDK_ATTEMPTS
    assert refused == ["GetItem"]
    assert (reply.status, reply.headers["Retry-After"]) == (503, "1")
    assert len(visit_events(dynamodb)) == 1  # the exception: counted, answered 503
