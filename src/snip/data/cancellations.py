"""The one reader of a cancelled transaction's ``CancellationReasons``.

DynamoDB answers a cancelled TransactWriteItems with one reason per action, in order: its code
(``None`` for an action that was fine, ``ConditionalCheckFailed``, ``TransactionConflict``,
``ValidationError``, ``ThrottlingError``...) and, for a failed condition asked for with ALL_OLD,
the item it failed on. Adapters decide from these codes, never from the message; a cancellation
that blames no action of theirs is ``DependencyUnavailable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, cast

from botocore.exceptions import ClientError

from snip.data.dependency_guard import error_code
from snip.data.item_codec import from_item
from snip.domain.errors import DependencyUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

CONDITION_FAILED = "ConditionalCheckFailed"  # an action's condition (the reason's code)
CONFLICT = "TransactionConflict"  # another request was writing the same item
TOO_BIG = "ValidationError"  # an update that would take its item past DynamoDB's 400 KB


class CancellationReason(TypedDict, total=False):
    """One action's reason, as DynamoDB gives it (the stubs have no type for it)."""

    Code: str
    Message: str
    Item: dict[str, AttributeValueTypeDef]


@dataclass(frozen=True)
class Cancellation:
    """The reasons of one cancelled transaction, one per action."""

    reasons: tuple[CancellationReason, ...]

    @property
    def codes(self) -> list[str]:
        return [str(reason.get("Code") or "None") for reason in self.reasons]

    def code(self, action: int) -> str:
        return self.codes[action] if action < len(self.reasons) else "None"

    def raw_item(self, action: int) -> dict[str, AttributeValueTypeDef] | None:
        """The item action ``action``'s condition failed on, in DynamoDB's typed JSON."""
        item = self.reasons[action].get("Item") if action < len(self.reasons) else None
        return item if isinstance(item, dict) and item else None

    def item(self, action: int) -> dict[str, object] | None:
        """The item action ``action``'s condition failed on (ALL_OLD), if DynamoDB gave it."""
        raw = self.raw_item(action)
        return from_item(raw) if raw is not None else None

    def part(self, start: int, stop: int) -> Cancellation:
        return Cancellation(self.reasons[start:stop])

    def unavailable(self, what: str) -> DependencyUnavailable:
        """The error for a cancellation that blames none of the caller's items (throttling)."""
        return DependencyUnavailable(f"DynamoDB cancelled the {what}: {self.codes}")


def cancellation(error: ClientError) -> Cancellation:
    """The reasons of ``error`` if it is a cancelled transaction; ``error`` itself otherwise."""
    if error_code(error) != "TransactionCanceledException":
        raise error
    reasons = cast("list[CancellationReason]", error.response.get("CancellationReasons", []))
    return Cancellation(tuple(CancellationReason(**reason) for reason in reasons))
