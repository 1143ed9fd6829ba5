"""The idempotency record of a create, as the link's write sees it (without Powertools, which
``snip.data.idempotency_table`` loads: a cold POST /links without an Idempotency-Key stays lean).

A create's record learns the key of the link it writes, in the link's own transaction
(``CreateRecord.link_written``; a batch's, each item's index and key: ``links_written``). An
attempt that died after that write (kill -9, a Lambda timeout) leaves its record in progress; once
its time is up, the next attempt's put takes the record over and finds that key in what it
replaced (``CreateRecord.earlier_key``), so that it answers the link the dead attempt wrote instead
of writing a second one (a batch: the links it wrote, ``CreateRecord.earlier_links``, and creates
the others).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, TransactWriteItemTypeDef

RECORD_KEY = "id"  # Powertools' default key attribute, the idempotency table's partition key
PUT_MARKER = "put_marker"  # the put that wrote the record (snip.data.idempotency_table)
LINK_KEY = "link_key"  # the key of the link the record's create wrote
BATCH_LINKS = "batch_links"  # a batch's: "<item index>:<key>" of each link written
STATUS, IN_PROGRESS, VALIDATION = "status", "INPROGRESS", "validation"  # Powertools' attributes


@dataclass
class CreateRecord:
    """The idempotency record of the create running in this context, as its put wrote it."""

    table: str = ""
    record_id: str = ""  # empty until the put has written the record
    marker: str = ""
    earlier_key: str | None = None  # a link an earlier attempt of this request wrote, then died
    earlier_links: dict[int, str] = field(default_factory=dict)  # a batch's: item index -> key

    def link_written(self, key: str) -> TransactWriteItemTypeDef:
        """The transaction item that writes ``key`` into the record with the link itself: the
        record is still this attempt's (a later attempt that took it over makes the create fail,
        ``snip.domain.errors.RequestInProgress``, and writes the link itself)."""
        return self._still_mine("SET", LINK_KEY, {"S": key})

    def links_written(self, items: Iterable[tuple[int, str]]) -> TransactWriteItemTypeDef:
        """As ``link_written``, for a batch's transaction: the index and key of each of its links."""
        return self._still_mine("ADD", BATCH_LINKS, {"SS": [f"{index}:{key}" for index, key in items]})

    def _still_mine(self, action: str, name: str, value: AttributeValueTypeDef) -> TransactWriteItemTypeDef:
        """An Update of the record (``SET`` or ``ADD`` ``name``), if it is still this attempt's."""
        return {
            "Update": {
                "TableName": self.table,
                "Key": {RECORD_KEY: {"S": self.record_id}},
                "UpdateExpression": f"{action} #name {'= ' if action == 'SET' else ''}:value",
                "ConditionExpression": "#marker = :marker",
                "ExpressionAttributeNames": {"#name": name, "#marker": PUT_MARKER},
                "ExpressionAttributeValues": {":value": value, ":marker": {"S": self.marker}},
            }
        }

    def put(self, table: str, item: Mapping[str, object], replaced: Mapping[str, object]) -> None:
        """The record's put wrote ``item`` (decoded) over ``replaced`` (empty if none). Note the
        link of the record replaced if that was an attempt of the same request (same body) left
        in progress: it died after writing the link."""
        self.table, self.record_id, self.marker = table, str(item[RECORD_KEY]), str(item[PUT_MARKER])
        link = replaced.get(LINK_KEY)
        same_request = replaced.get(VALIDATION) == item.get(VALIDATION)
        if replaced.get(STATUS) != IN_PROGRESS or not same_request:
            return
        if isinstance(link, str):
            self.earlier_key = link
        entries = replaced.get(BATCH_LINKS)
        for entry in entries if isinstance(entries, set | list) else ():
            index, _, key = str(entry).partition(":")
            self.earlier_links[int(index)] = key


_current: ContextVar[CreateRecord | None] = ContextVar("snip_create_record", default=None)


def current_record() -> CreateRecord | None:
    return _current.get()


@contextmanager
def create_record() -> Iterator[CreateRecord]:
    """The record the next idempotent create in this context puts (its ``CreateRecord``)."""
    record = CreateRecord()
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)
