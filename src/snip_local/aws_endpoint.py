"""The local AWS endpoint: moto's DynamoDB, made atomic, and the Lambda Invoke API, on one loopback port.

moto keeps its tables in plain Python structures and was not written for concurrent requests: two
transactions can both win a conditional check, and threads see RuntimeErrors from dicts changing under
them. Every DynamoDB request therefore runs under one lock, which makes each API call atomic, as it is
on AWS. Lambda Invoke requests do not take that lock (a function being invoked calls DynamoDB itself).

It is also where faults are injected between the functions and DynamoDB (``snip_local.faults``):
an error answer or a delay before moto sees the request, or a lost answer — applied, then the
connection closed unanswered, so that botocore in the function retries it within its own loop.
``/_snip/faults`` on this port reads (GET) and replaces (POST ``{"faults": ..., "seed": ...}``,
DELETE turns them off) the rules at run time.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

import boto3
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from snip_deploy.tables import create_tables
from snip_local import lambda_api, moto_queries, moto_transactions
from snip_local.faults import ADMIN_PATH, GATEWAY_USER_AGENT, Faults, error_answer, request_target
from snip_local.local_config import REGION
from snip_local.local_functions import LocalFunctions, table_names

# DynamoDB (and Streams) operations that change nothing: a save of the tables skips a quiet stack.
_READS = frozenset(
    {
        "GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "DescribeTable", "ListTables",
        "DescribeTimeToLive", "DescribeContinuousBackups", "ListTagsOfResource", "DescribeEndpoints",
        "DescribeLimits", "DescribeStream", "GetShardIterator", "GetRecords", "ListStreams",
    }
)  # fmt: skip

# The region in a SigV4 credential scope: ".../20250101/eu-west-1/dynamodb/aws4_request".
_SCOPE_REGION = re.compile(r"(Credential=[^/,]+/\d{8}/)[^/,]+(/)")


class AwsEndpoint:
    """The WSGI application: Lambda Invoke paths go to the functions, everything else to moto."""

    def __init__(self, functions: LocalFunctions | None = None, faults: Faults | None = None) -> None:
        self.functions = functions
        # The stack's settings are read at start: SNIP_FAULTS and SNIP_FAULTS_SEED (docs/local.md).
        self.faults = faults if faults is not None else Faults.from_env(os.environ)
        moto_transactions.install()  # safe here: every request below runs under self.lock
        moto_queries.install()  # an owner's index read at DynamoDB's pace, not moto's
        self._moto = DomainDispatcherApplication(create_backend_app)
        self.lock = threading.Lock()  # every DynamoDB request, and a save of the tables (saved_tables)
        self.writes = 0  # DynamoDB requests served that may have changed something (saved_tables)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == ADMIN_PATH:
            return self._admin(Request(environ))(environ, start_response)
        name = lambda_api.matches(path)
        if name is not None and self.functions is not None:
            return lambda_api.invoke(self.functions, Request(environ), name)(environ, start_response)
        # moto keeps one set of tables per region: fold every client's region into ours, so that
        # `aws dynamodb scan --endpoint-url ...` finds the tables whatever region the caller has configured.
        auth = environ.get("HTTP_AUTHORIZATION")
        if auth:
            environ["HTTP_AUTHORIZATION"] = _SCOPE_REGION.sub(rf"\g<1>{REGION}\g<2>", auth)
        fault = self._draw_fault(environ)
        if fault in ("error", "throttle"):
            status, body = error_answer(fault)
            return Response(body, status, content_type="application/x-amz-json-1.0")(environ, start_response)
        with self.lock:
            # Drain the response inside the lock: moto may build it lazily.
            answer = list(self._moto(environ, start_response))
            if environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2] not in _READS:
                self.writes += 1
        if fault == "lost":
            _drop_connection(environ)
        return answer

    def _draw_fault(self, environ: dict[str, Any]) -> str | None:
        """Wait and pick a fault for a DynamoDB request, if any rule is set (else touch nothing)."""
        if not self.faults.active:
            return None
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith("DynamoDB_") or GATEWAY_USER_AGENT in environ.get("HTTP_USER_AGENT", ""):
            return None
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            return None  # moto answers the malformed request itself
        decision = self.faults.decide(target.partition(".")[2], request_target(params))
        if decision.delay:
            time.sleep(decision.delay)
        return decision.fault

    def _admin(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                wanted = json.loads(request.get_data() or b"{}")
                self.faults.configure(str(wanted.get("faults", "")), int(wanted.get("seed", 0)))
            except (ValueError, TypeError, AttributeError) as error:
                return _json({"error": str(error)}, 400)
        elif request.method == "DELETE":
            self.faults.configure("", self.faults.seed)
        elif request.method != "GET":
            return _json({"error": "GET, POST or DELETE"}, 405)
        return _json(self.faults.state(), 200)


def _json(body: Any, status: int) -> Response:
    return Response(json.dumps(body), status, content_type="application/json")


class _AnswerLost(ConnectionAbortedError):
    """Raised after the connection is closed on purpose: werkzeug treats it as a dropped client."""


def _drop_connection(environ: dict[str, Any]) -> None:
    """Close the client's connection before any byte of the answer is sent.

    botocore sees the connection closed before a response (ConnectionClosedError), which its
    standard retry mode retries at once, with back-off — faster than waiting out a read timeout.
    """
    connection: socket.socket = environ["werkzeug.socket"]
    with contextlib.suppress(OSError):  # already gone
        connection.shutdown(socket.SHUT_RDWR)
    raise _AnswerLost("answer withheld by fault injection")


class EndpointServer:
    def __init__(
        self, port: int, functions: LocalFunctions | None = None, faults: Faults | None = None
    ) -> None:
        self.app = AwsEndpoint(functions, faults)
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws-endpoint", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        self._thread.start()

    def create_tables(self) -> dict[str, str]:
        """Create Snip's tables from the definitions the CDK stack uses; returns env name -> table name."""
        names = table_names()
        client = boto3.client(
            "dynamodb",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto checks no signature
        )
        create_tables(client, names)
        return names

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _QuietHandler(MotoRequestHandler):
    """moto's request handling, without werkzeug's access log: DynamoDB calls would drown the gateway's."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass
