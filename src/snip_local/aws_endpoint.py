"""The local AWS endpoint: moto's DynamoDB, made atomic, and the Lambda Invoke API, on one loopback port.

moto keeps its tables in plain Python structures and was not written for concurrent requests: two
transactions can both win a conditional check, and threads see RuntimeErrors from dicts changing under
them. Every DynamoDB request therefore runs under one lock, which makes each API call atomic, as it is
on AWS. Lambda Invoke requests do not take that lock (a function being invoked calls DynamoDB itself).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

import boto3
from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request

from snip_deploy.tables import create_tables
from snip_local import lambda_api, moto_transactions
from snip_local.local_config import REGION
from snip_local.local_functions import LocalFunctions, table_names

# The region in a SigV4 credential scope: ".../20250101/eu-west-1/dynamodb/aws4_request".
_SCOPE_REGION = re.compile(r"(Credential=[^/,]+/\d{8}/)[^/,]+(/)")


class AwsEndpoint:
    """The WSGI application: Lambda Invoke paths go to the functions, everything else to moto."""

    def __init__(self, functions: LocalFunctions | None = None) -> None:
        self.functions = functions
        moto_transactions.install()  # safe here: every request below runs under self._lock
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        name = lambda_api.matches(environ.get("PATH_INFO", ""))
        if name is not None and self.functions is not None:
            return lambda_api.invoke(self.functions, Request(environ), name)(environ, start_response)
        # moto keeps one set of tables per region: fold every client's region into ours, so that
        # `aws dynamodb scan --endpoint-url ...` finds the tables whatever region the caller has configured.
        auth = environ.get("HTTP_AUTHORIZATION")
        if auth:
            environ["HTTP_AUTHORIZATION"] = _SCOPE_REGION.sub(rf"\g<1>{REGION}\g<2>", auth)
        with self._lock:
            # Drain the response inside the lock: moto may build it lazily.
            return list(self._moto(environ, start_response))


class EndpointServer:
    def __init__(self, port: int, functions: LocalFunctions | None = None) -> None:
        self.app = AwsEndpoint(functions)
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
