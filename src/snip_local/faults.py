"""Faults between the functions and DynamoDB, injected by the local AWS endpoint.

A fault injected here happens *inside* the SDK's retry loop, as a failing network or a busy
DynamoDB would: botocore in the function sees an error answer, a slow answer or a dropped
connection and retries it itself (standard mode, 3 attempts) before Snip's code sees anything.
That is the only place where "the write was applied but its answer was lost" can be reproduced
honestly: the endpoint applies the request to moto, then closes the connection without answering.

Rules come from ``SNIP_FAULTS`` at start and can be replaced at run time (``POST /_snip/faults``):

    SNIP_FAULTS="TransactWriteItems:lost=0.1,UpdateItem@snip-links:error=0.05,*:delay_ms=50"

Each item is ``operation[@table]:setting=value``; ``*`` is every operation. Settings:
``error`` (a 500 InternalServerError), ``throttle`` (a 400 ProvisionedThroughputExceededException),
``lost`` (applied, then the connection is dropped) — each a probability per request, together at
most 1 — and ``delay_ms`` (every matching request waits that long first). A transaction matches
the tables it writes (Put, Update, Delete), not those it only checks. For each setting the most
specific rule wins: ``op@table``, then ``op``, then ``*@table``, then ``*``. Draws come from one
``random.Random(SNIP_FAULTS_SEED)``, made when the rules are set (never at import).
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FAULTS_ENV = "SNIP_FAULTS"
# The local gateway's own DynamoDB client (its API-key lookups, which stand in for API Gateway's
# key check) says so in its User-Agent: faults are for requests from Snip's functions only.
GATEWAY_USER_AGENT = "snip-local-gateway"
SEED_ENV = "SNIP_FAULTS_SEED"
ADMIN_PATH = "/_snip/faults"

RATES = ("error", "throttle", "lost")
MAX_DELAY_MS = 10_000  # a delay past the function's 3 s read timeout is a timeout already

# What DynamoDB answers for an injected error: (HTTP status, __type, message).
ERROR_ANSWERS = {
    "error": (500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal server error"),
    "throttle": (
        400,
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    ),
}


class FaultSpecError(ValueError):
    """A fault specification that cannot be read; the message says which item and why."""


@dataclass(frozen=True)
class Decision:
    """What to do with one request: wait ``delay`` seconds, then ``fault`` (or answer normally)."""

    delay: float = 0.0
    fault: str | None = None  # one of RATES


@dataclass
class _Settings:
    rates: dict[str, float] = field(default_factory=dict)
    delay_ms: int | None = None


def parse(spec: str) -> dict[tuple[str, str | None], _Settings]:
    """``op[@table]:name=value,...`` -> {(op, table): settings}; raises FaultSpecError."""
    rules: dict[tuple[str, str | None], _Settings] = {}
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        selector, _, setting = item.partition(":")
        name, _, value = setting.partition("=")
        operation, _, table = selector.strip().partition("@")
        name, value = name.strip(), value.strip()
        if not operation or not value:
            raise FaultSpecError(f"{item!r}: expected operation[@table]:setting=value")
        settings = rules.setdefault((operation, table or None), _Settings())
        try:
            if name == "delay_ms":
                settings.delay_ms = int(value)
                if not 0 <= settings.delay_ms <= MAX_DELAY_MS:
                    raise ValueError
            elif name in RATES:
                settings.rates[name] = float(value)
                if not 0.0 <= settings.rates[name] <= 1.0:
                    raise ValueError
            else:
                raise FaultSpecError(f"{item!r}: unknown setting {name!r} (error, throttle, lost, delay_ms)")
        except ValueError as error:
            if isinstance(error, FaultSpecError):
                raise
            raise FaultSpecError(f"{item!r}: rates are 0 to 1, delay_ms 0 to {MAX_DELAY_MS}") from None
        if sum(settings.rates.values()) > 1.0:
            raise FaultSpecError(f"{selector!r}: error + throttle + lost is more than 1")
    return rules


def request_target(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The tables a DynamoDB request reads or writes (a transaction: those it writes)."""
    if "TransactItems" in body:
        tables = {
            action["TableName"]
            for entry in body["TransactItems"]
            for kind, action in entry.items()
            if kind != "ConditionCheck" and "TableName" in action
        }
        return tuple(sorted(tables))
    if "RequestItems" in body:
        return tuple(sorted(body["RequestItems"]))
    return (body["TableName"],) if "TableName" in body else ()


class Faults:
    """The rules in force, the seeded draws and the counts; safe to use from many threads."""

    def __init__(self, spec: str = "", seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.configure(spec, seed)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Faults:
        try:
            seed = int(environ.get(SEED_ENV, "0") or "0")
        except ValueError:
            raise FaultSpecError(f"{SEED_ENV} must be an integer") from None
        return cls(environ.get(FAULTS_ENV, ""), seed)

    def configure(self, spec: str, seed: int = 0) -> None:
        """Replace the rules (an empty spec turns faults off), reseed and reset the counts."""
        rules = parse(spec)
        with self._lock:
            self.spec, self.seed, self._rules = spec, seed, rules
            self._rng = random.Random(seed)
            self.requests: Counter[str] = Counter()
            self.injected: Counter[str] = Counter()

    @property
    def active(self) -> bool:
        return bool(self._rules)

    def decide(self, operation: str, tables: tuple[str, ...]) -> Decision:
        label = f"{operation}@{'+'.join(tables)}" if tables else operation
        with self._lock:
            self.requests[label] += 1
            settings = self._effective(operation, tables)
            delay = (settings.delay_ms or 0) / 1000
            # Only a request some rate applies to draws, so that one rule's faults do not depend
            # on how many other requests there were.
            draw = self._rng.random() if settings.rates else 1.0
            threshold = 0.0
            for name in RATES:
                threshold += settings.rates.get(name, 0.0)
                if draw < threshold:
                    self.injected[f"{label}:{name}"] += 1
                    return Decision(delay, name)
            if delay:
                self.injected[f"{label}:delay"] += 1
            return Decision(delay, None)

    def _effective(self, operation: str, tables: tuple[str, ...]) -> _Settings:
        merged = _Settings()
        # Least specific first, so that a more specific rule overwrites what it sets.
        for op in ("*", operation):
            for table in (None, *tables):
                rule = self._rules.get((op, table))
                if rule is None:
                    continue
                merged.rates.update(rule.rates)
                if rule.delay_ms is not None:
                    merged.delay_ms = rule.delay_ms
        return merged

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "faults": self.spec,
                "seed": self.seed,
                "requests": dict(sorted(self.requests.items())),
                "injected": dict(sorted(self.injected.items())),
            }


def error_answer(fault: str) -> tuple[int, bytes]:
    """The status and JSON body DynamoDB sends for an injected error."""
    status, kind, message = ERROR_ANSWERS[fault]
    return status, json.dumps(
        {"__type": kind, "message": f"{message} (injected by the local stack)"}
    ).encode()
