"""The Lambda Invoke API on loopback (``POST /2015-03-31/functions/{name}/invocations``).

Enough of it for boto3's ``lambda.invoke`` and ``aws lambda invoke --endpoint-url``: RequestResponse runs
the function and returns its payload (``X-Amz-Function-Error`` on failure), Event answers 202 at once and
queues it (``LocalFunctions.invoke_async``), DryRun answers 204. A RequestResponse invoke that finds every
environment the function may have busy (keygen has one) waits for one up to the function's timeout, then
gets 429 ``TooManyRequestsException``; Lambda would answer that 429 at once (see docs/local.md, why).
"""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from snip_local.local_config import ACCOUNT_ID, REGION
from snip_local.local_functions import LocalFunctions
from snip_local.worker_pool import NoCapacity

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")


def _error(status: int, error_type: str, message: str) -> Response:
    body = json.dumps({"Type": "User", "message": message})
    return Response(body, status, {"x-amzn-ErrorType": error_type}, content_type="application/json")


def invoke(functions: LocalFunctions, request: Request, name: str) -> Response:
    pool = functions.find(name)
    if pool is None:
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
        return _error(404, "ResourceNotFoundException", f"Function not found: {arn}")
    raw = request.get_data()
    try:
        event: Any = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return _error(400, "InvalidRequestContentException", "Could not parse request body into json")
    mode = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
    if mode == "DryRun":
        return Response(status=204)
    if mode == "Event":
        functions.invoke_async(pool, event)
        return Response(status=202)
    if mode != "RequestResponse":
        return _error(400, "InvalidParameterValueException", f"Unsupported invocation type {mode}")
    try:
        outcome = pool.invoke(event, wait=pool.spec.timeout)
    except NoCapacity as exc:
        return _error(429, "TooManyRequestsException", str(exc))
    headers = {"X-Amz-Executed-Version": "$LATEST"}
    if outcome.error is not None:
        headers["X-Amz-Function-Error"] = "Unhandled"
        return Response(json.dumps(outcome.error), 200, headers, content_type="application/json")
    return Response(json.dumps(outcome.result), 200, headers, content_type="application/json")


def matches(path: str) -> str | None:
    """The function named by an Invoke path, or None for any other path."""
    found = INVOKE_PATH.match(path)
    return found["name"] if found else None
