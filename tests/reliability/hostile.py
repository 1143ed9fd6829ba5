"""Hostile requests, sent to the handlers in-process, with the rules every answer must keep.

Every answer is below 500; every 4xx carries Snip's JSON error ({"error": {"code", "message"}});
and a refused request changes no table (links, keys and idempotency records are compared whole).
"""

from __future__ import annotations

import base64
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from snip.settings import DEFAULT_TABLES
from snip_deploy.tables import IDEMPOTENCY, LINKS
from tests.reliability.handler_clients import assert_snip_error
from tests.service.conftest import LambdaContext
from tests.service.lambda_events import Reply, needs_api_key, rest_event, to_reply

TABLES = tuple(DEFAULT_TABLES.values())
# The hosts a link must not point at in these tests (tests/service/conftest.py and events.py).
OWN_HOST = "sho.rt"
API_HOST = "abc123.execute-api.us-east-1.amazonaws.com"


def snapshot(client: Any) -> dict[str, list[Any]]:
    """Every item of every table, in a comparable order (the tables stay small in these tests)."""
    out = {}
    for table in TABLES:
        items = client.scan(TableName=table)["Items"]
        out[table] = sorted(items, key=repr)
    return out


def clear_links(client: Any) -> None:
    """Empty the links and idempotency tables (the key pool stays): each test starts small."""
    for definition in (LINKS, IDEMPOTENCY):
        table, key = DEFAULT_TABLES[definition.env_name], definition.partition_key[0]
        for item in client.scan(TableName=table)["Items"]:
            client.delete_item(TableName=table, Key={key: item[key]})


@dataclass
class Hostile:
    handlers: dict[str, Any]
    dynamodb: Any
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    cases: int = 0
    _state: dict[str, list[Any]] | None = None  # the tables after the last request

    def send(
        self,
        method: str,
        path: str,
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        api_key_id: str | None = "owner-a",
    ) -> Reply:
        if api_key_id is None and needs_api_key(method, path):
            # API Gateway's own 403: the function never sees it (GET /links, say, as a "key").
            self.cases += 1
            self.statuses[403] += 1
            return Reply(403, {"Content-Type": "application/json"}, '{"message": "Forbidden"}')
        text = base64.b64encode(body).decode() if isinstance(body, bytes) else body
        function, event = rest_event(method, path, body=text, headers=headers, api_key_id=api_key_id)
        event["isBase64Encoded"] = isinstance(body, bytes)
        before = self._state or snapshot(self.dynamodb)
        reply = to_reply(self.handlers[function](event, LambdaContext()))
        self._state = None if reply.status < 400 else before
        self.cases += 1
        self.statuses[reply.status] += 1
        assert reply.status < 500, (method, path, body, headers, reply.status, reply.body)
        if reply.status >= 400:
            if reply.headers.get("Content-Type", "").startswith("text/html"):
                assert reply.body.startswith("<!doctype html>"), reply.body
            else:
                assert reply.headers.get("Content-Type") == "application/json", reply.headers
                assert_snip_error(reply.json)
                self.codes[reply.error_code] += 1
            assert snapshot(self.dynamodb) == before, f"a refused request changed a table: {reply.body}"
        return reply
