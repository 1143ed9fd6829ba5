"""The ``snip`` command's HTTP client: which Snip API it calls, with which key, and what a refusal says.

Which API: ``--api-url``, else ``--stack NAME`` (a deployed stack's outputs), else ``$SNIP_API_URL``,
else ``$SNIP_STACK``, else the local stack on ``$PORT``, else the running local stack recorded under
``.snip/`` (``snip_local.running``), else the local stack's default URL. A refusal is the API's own
``error.message`` (or API Gateway's ``message``) with its status and code, and an exit code that says
what kind of failure it was.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from snip.domain.validation import is_loopback, url_host
from snip_local import running
from snip_local.local_config import LocalConfig

OK, REFUSED, USAGE, NOT_FOUND, UNAVAILABLE = 0, 1, 2, 3, 4
STACK_ENV = "SNIP_STACK"
# The outputs of a deployed stack that name its API: the public host when it has a front door.
URL_OUTPUTS = ("PublicUrl", "PublicBaseUrl", "ApiUrl")
TIMEOUT_SECONDS = 30


class ApiError(Exception):
    """What went wrong, in a sentence, and the exit code that says what kind of failure it was
    (with the API's status and error code when the API answered)."""

    def __init__(self, message: str, exit_code: int, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.status = status
        self.code = code


def stack_api_url(stack: str, region: str | None) -> str:
    """The API URL of the deployed stack ``stack``, from its CloudFormation outputs."""
    import boto3  # only a deployed stack needs it
    from botocore.exceptions import BotoCoreError, ClientError

    from snip_local.api_keys_cli import stack_outputs

    try:
        outputs = stack_outputs(boto3.session.Session(region_name=region).client("cloudformation"), stack)
    except (BotoCoreError, ClientError) as exc:
        raise ApiError(f"cannot read stack {stack}'s outputs: {exc}", UNAVAILABLE) from exc
    for name in URL_OUTPUTS:
        if outputs.get(name):
            return outputs[name]
    raise ApiError(f"stack {stack} has none of the outputs {', '.join(URL_OUTPUTS)}", USAGE)


def api_url_of(args: argparse.Namespace) -> tuple[str, str]:
    """The API to call, and where that choice came from (said when the API cannot be reached)."""
    if args.api_url:
        return args.api_url, "from --api-url"
    if getattr(args, "stack", None):
        return stack_api_url(args.stack, args.region), f"the outputs of stack {args.stack}"
    if os.environ.get("SNIP_API_URL"):
        return os.environ["SNIP_API_URL"], "from SNIP_API_URL"
    if os.environ.get(STACK_ENV):
        stack = os.environ[STACK_ENV]
        return stack_api_url(
            stack, getattr(args, "region", None)
        ), f"the outputs of stack {stack} (SNIP_STACK)"
    if os.environ.get("PORT"):
        return LocalConfig.from_env(os.environ).base_url, "the local stack on PORT"
    found = running.find(Path.cwd())
    if found is not None:
        return found.api_url, f"the local stack recorded in {found.path}"
    return LocalConfig.from_env(
        {}
    ).base_url, f"the local stack's default; no running one recorded under ./{running.FOLDER}/"


def api_key_of(args: argparse.Namespace, deployed: bool) -> str:
    """``--api-key``, ``$SNIP_API_KEY``, else (the local stack only) its first key."""
    given = args.api_key or os.environ.get("SNIP_API_KEY")
    if given:
        return str(given)
    if deployed:
        raise ApiError(
            "a deployed stack needs an API key: --api-key or SNIP_API_KEY "
            "(make one with `snip keys create OWNER --stack NAME`)",
            USAGE,
        )
    try:
        return next(iter(LocalConfig.from_env(os.environ).api_keys))
    except ValueError as exc:
        raise ApiError(f"no API key: {exc}", USAGE) from exc


def refusal(response: requests.Response) -> ApiError:
    """The API's answer to a request it did not serve: its message, status and code."""
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    error = payload.get("error") if isinstance(payload, dict) else None
    status = response.status_code
    code = None
    if isinstance(error, dict):  # Snip's own errors
        code = error.get("code")
        message = f"{error.get('message')} ({status} {code})"
    else:  # API Gateway's own answers ({"message": ...}) or anything else
        said = payload.get("message") if isinstance(payload, dict) else None
        message = f"{said or response.reason or 'no answer'} ({status})"
    exit_code = (
        NOT_FOUND if status in (404, 410) else UNAVAILABLE if status >= 500 or status == 429 else REFUSED
    )
    return ApiError(message, exit_code, status, code)


@dataclass(frozen=True)
class ApiClient:
    api_url: str
    source: str  # where api_url came from, for the message when it cannot be reached
    api_key: str
    idempotency_key: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ApiClient:
        api_url, source = api_url_of(args)
        deployed = not is_loopback(url_host(api_url))  # a local stack's key is of no use elsewhere
        return cls(api_url, source, api_key_of(args, deployed), getattr(args, "idempotency_key", None))

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        """The API's answer, if it served the request (status below 400); ApiError otherwise."""
        headers = {"x-api-key": self.api_key}
        if self.idempotency_key:
            headers["Idempotency-Key"] = self.idempotency_key
        try:
            response = requests.request(
                method,
                self.api_url.rstrip("/") + path,
                json=body,
                params={k: v for k, v in (params or {}).items() if v is not None},
                headers=headers,
                timeout=TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            raise ApiError(
                f"cannot reach {self.api_url} ({self.source}): {type(exc).__name__}. Start the local stack "
                "with `make run` (in the repository), or point snip at a Snip API with SNIP_API_URL or "
                "--api-url.",
                UNAVAILABLE,
            ) from exc
        if response.status_code >= 400:
            raise refusal(response)
        return response

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """The API's JSON answer (None for an empty one)."""
        response = self.request(method, path, body, params)
        return response.json() if response.content else None

    def pages(self, path: str, params: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every page of a listing, following ``next_cursor`` until it is null."""
        cursor = params.get("cursor")
        while True:
            page = self.call("GET", path, params={**params, "cursor": cursor})
            yield page
            cursor = page.get("next_cursor")
            if not cursor:
                return
