"""Schemathesis hooks for test_schema.py's run from outside (loaded through SCHEMATHESIS_HOOKS).

FP4 (docs/reliability.md): in the stateful phase, a create whose generated Idempotency-Key was used
before replays the first 201 (as the contract says), and a DELETE in between may have removed that
link: Schemathesis then reports "created resource not found". Each stateful create gets a key of its
own; replays are tested where they are the subject (tests/service/test_idempotency.py).
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis
from schemathesis.generation.meta import TestPhase

HEADER = "Idempotency-Key"


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    meta = case.meta
    if meta is None or meta.phase.name != TestPhase.STATEFUL or not case.headers:
        return
    for name in list(case.headers):
        if name.lower() == HEADER.lower():
            case.headers[name] = f"stateful-{uuid.uuid4()}"
