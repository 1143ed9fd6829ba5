"""The visits table: resolve writes one visit event per GET, once, before it redirects.

The event's id is the request id, and its Put is conditional on that id being new, so a repeat
of this very put (its answer lost) fails on its own event: that is the put succeeding. The
aggregator reads the table's stream (``snip.data.rollups_table``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from botocore.exceptions import ClientError

from snip.data import lost_writes
from snip.data.dependency_guard import CONDITION_FAILED, dependency_guard, error_code
from snip.data.item_codec import attribute_names, to_item
from snip.domain.errors import DependencyUnavailable
from snip.domain.visit_events import VisitEvent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import PutTypeDef

    from snip.data.item_codec import Item


class VisitsTable:
    def __init__(self, client: DynamoDBClient, visits_table: str) -> None:
        self.client = client
        self.visits_table = visits_table

    def put_visit_event(self, event: VisitEvent) -> None:
        """Write ``event`` unless an event with its id (the request id) is there already.

        A repeat of this very put (its answer lost; sent again by the SDK, or once more by us when
        the SDK gave up) fails the condition on its own event: that is the put succeeding. Only a
        put that may not have happened is an error (DependencyUnavailable → 503, no redirect): an
        attempt written with its answer lost counted the visit, and answering 503 would make it a
        visit without a redirect, so the event is read before that answer.

        The one exception (docs/reliability.md): every answer lost and that read failing too, the
        outcome is unknown, and this is a 503 (a redirect might go uncounted; a 503 asks for a
        retry) although the event may be there and be counted.
        """
        request = self.event_put(event)
        try:
            lost_writes.send_once(
                lambda: self.client.put_item(**request),
                lambda: self.event_written(event.id),
                resend_first=True,
            )
        except ClientError as error:
            if error_code(error) == CONDITION_FAILED:
                return  # the event with this request id is there: our own earlier attempt
            raise

    def event_written(self, event_id: str) -> bool:
        """Whether the event is in the table (a strongly consistent read); False if unreadable."""
        try:
            with dependency_guard():
                found = self.client.get_item(
                    TableName=self.visits_table,
                    Key=to_item({"id": event_id}),
                    ConsistentRead=True,
                    ProjectionExpression="#id",
                    ExpressionAttributeNames=attribute_names("id"),
                )
        except DependencyUnavailable:
            return False
        return "Item" in found

    def event_put(self, event: VisitEvent) -> PutTypeDef:
        """The event's write, alone or in a visit's transaction: only if its id is new."""
        return {
            "TableName": self.visits_table,
            "Item": cast("Item", event.to_item()),  # the domain writes plain S, N and BOOL values
            "ConditionExpression": "attribute_not_exists(#id)",
            "ExpressionAttributeNames": attribute_names("id"),
        }
