"""One execution environment: ``python -m snip_local.worker FOLDER MODULE.FUNCTION FD``.

Imports the handler from its deployable folder, as Lambda does from /var/task, then serves invocations
one at a time over the socket FD (``multiprocessing.connection`` framing, JSON messages):
it sends ``{"ready": true}`` or ``{"init_error": ...}`` once, then answers each
``{"event", "context"}`` with ``{"result": ...}`` or ``{"error": ...}`` (Lambda's error payload).
Stdout and stderr are the function's log, as in Lambda. Kept free of heavy imports on purpose:
whatever this module imports, the function would find already loaded.
"""

from __future__ import annotations

import decimal
import importlib
import json
import os
import signal
import sys
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any


class LambdaContext:
    """The attributes and method of the Python runtime's context object."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.aws_request_id: str = meta["aws_request_id"]
        self.function_name: str = meta["function_name"]
        self.function_version: str = meta["function_version"]
        self.invoked_function_arn: str = meta["invoked_function_arn"]
        self.memory_limit_in_mb: int = meta["memory_limit_in_mb"]
        self.log_group_name: str = meta["log_group_name"]
        self.log_stream_name: str = meta["log_stream_name"]
        self.identity = None
        self.client_context = None
        self._deadline_ms: int = meta["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def error_payload(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_exception(exc)[1:],
    }


def _json_default(value: Any) -> Any:
    # The Python runtime serializes Decimal (what boto3's resource API returns) as a number.
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def load_handler(folder: str, handler: str) -> Any:
    # Lambda puts the function's folder first on the path and runs in it.
    sys.path[0] = folder
    os.chdir(folder)
    module_name, _, function = handler.rpartition(".")
    return getattr(importlib.import_module(module_name), function)


def serve(conn: Connection, handler: Any) -> None:
    while True:
        try:
            request = json.loads(conn.recv_bytes())
        except EOFError:  # the stack closed its end: this environment is being shut down
            return
        context = LambdaContext(request["context"])
        os.environ["_X_AMZN_TRACE_ID"] = request["context"]["trace_id"]
        try:
            result = handler(request["event"], context)
            try:
                reply = json.dumps({"result": result}, default=_json_default)
            except (TypeError, ValueError) as exc:
                reply = json.dumps({"error": error_payload(exc, "Runtime.MarshalError")})
        except Exception as exc:
            traceback.print_exc()
            reply = json.dumps({"error": error_payload(exc)})
        sys.stdout.flush()
        sys.stderr.flush()
        conn.send_bytes(reply.encode())


def main() -> None:
    folder, handler_string, fd = sys.argv[1], sys.argv[2], int(sys.argv[3])
    # Ctrl-C reaches the whole process group; the stack ends its workers itself, in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(fd)
    try:
        handler = load_handler(folder, handler_string)
    except Exception as exc:
        traceback.print_exc()
        conn.send_bytes(json.dumps({"init_error": error_payload(exc, "Runtime.ImportModuleError")}).encode())
        return
    conn.send_bytes(b'{"ready": true}')
    serve(conn, handler)


if __name__ == "__main__":
    main()
