"""The ``snip`` command: ``snip serve`` runs the local stack; the others talk to a Snip API.

Exit codes: 0 done; 1 the API refused the request (4xx); 2 bad usage; 3 no such link (404/410);
4 the API could not be reached or failed (connection error, 5xx, throttled).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from snip.domain.validation import REDIRECT_STATUSES
from snip_local import api_keys_cli, running
from snip_local.local_config import LocalConfig

OK, REFUSED, USAGE, NOT_FOUND, UNAVAILABLE = 0, 1, 2, 3, 4
FIELDS = (
    "key",
    "url",
    "created_at",
    "expires_at",
    "max_visits",
    "redirect_status",
    "visits",
    "bot_visits",
    "last_visit_at",
    "disabled",
)


class ApiError(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def api_url_of(args: argparse.Namespace) -> tuple[str, str]:
    """The API to call, and where that choice came from (said when the API cannot be reached)."""
    if args.api_url:
        return args.api_url, "from --api-url"
    if os.environ.get("SNIP_API_URL"):
        return os.environ["SNIP_API_URL"], "from SNIP_API_URL"
    if os.environ.get("PORT"):
        return LocalConfig.from_env(os.environ).base_url, "the local stack on PORT"
    found = running.find(Path.cwd())
    if found is not None:
        return found.api_url, f"the local stack recorded in {found.path}"
    return LocalConfig.from_env(
        {}
    ).base_url, f"the local stack's default; no running one recorded under ./{running.FOLDER}/"


def _default_api_key() -> str:
    # The local stack's first key, unless told otherwise.
    return os.environ.get("SNIP_API_KEY") or next(iter(LocalConfig.from_env(os.environ).api_keys))


def _key_of(text: str) -> str:
    """A key, or the short URL that contains it."""
    return urlsplit(text).path.rstrip("/").rpartition("/")[2] if "://" in text else text


def call(args: argparse.Namespace, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    api_url, source = api_url_of(args)
    try:
        api_key = args.api_key or _default_api_key()
    except ValueError as exc:
        raise ApiError(f"no API key: {exc}", USAGE) from exc
    try:
        response = requests.request(
            method, api_url.rstrip("/") + path, json=body, headers={"x-api-key": api_key}, timeout=30
        )
    except requests.RequestException as exc:
        raise ApiError(
            f"cannot reach {api_url} ({source}): {type(exc).__name__}. Start the local stack with "
            "`make run` (in the repository), or point snip at a Snip API with SNIP_API_URL or --api-url.",
            UNAVAILABLE,
        ) from exc
    if response.status_code < 400:
        return response.json() if response.content else None
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):  # Snip's own errors
        message = f"{error.get('code')}: {error.get('message')}"
    else:  # API Gateway's own answers ({"message": ...}) or anything else
        message = str(payload.get("message") if isinstance(payload, dict) else "") or response.reason
    status = response.status_code
    code = NOT_FOUND if status in (404, 410) else UNAVAILABLE if status >= 500 or status == 429 else REFUSED
    raise ApiError(f"{status} {message}", code)


def show(link: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(link, indent=2))
        return
    if link.get("short_url"):
        print(link["short_url"])
    for name in FIELDS:
        if name in link:
            value = link[name]
            print(f"  {name:<16} {'-' if value is None else value}")


def cmd_shorten(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"url": args.url}
    for name in ("alias", "expires_at", "max_visits", "redirect_status"):
        if getattr(args, name) is not None:
            body[name] = getattr(args, name)
    show(call(args, "POST", "/links", body), args.json)
    return OK


def cmd_get(args: argparse.Namespace) -> int:
    show(call(args, "GET", f"/links/{_key_of(args.key)}"), args.json)
    return OK


def cmd_delete(args: argparse.Namespace) -> int:
    key = _key_of(args.key)
    call(args, "DELETE", f"/links/{key}")
    print(f"deleted {key}")
    return OK


def cmd_serve(args: argparse.Namespace) -> int:
    from snip_local.serve import serve  # imports moto: only the server needs it

    return serve()


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="snip", description="Snip, the URL shortener: local stack and client.")
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "serve", help="serve the whole of Snip on loopback (what `make run` runs)"
    ).set_defaults(func=cmd_serve)
    client = argparse.ArgumentParser(add_help=False)
    client.add_argument(
        "--api-url",
        help="default: $SNIP_API_URL, else the local stack (on $PORT, or the one `make run` started)",
    )
    client.add_argument("--api-key", help="default: $SNIP_API_KEY or the local key")
    client.add_argument("--json", action="store_true", help="print the API's JSON as is")
    shorten = commands.add_parser("shorten", parents=[client], help="create a short link")
    shorten.add_argument("url")
    shorten.add_argument("--alias")
    shorten.add_argument("--expires-at", help="RFC 3339, e.g. 2030-01-01T00:00:00Z")
    shorten.add_argument("--max-visits", type=int)
    shorten.add_argument("--redirect-status", type=int, choices=REDIRECT_STATUSES)
    shorten.set_defaults(func=cmd_shorten)
    for name, func, text in (("get", cmd_get, "show a link"), ("delete", cmd_delete, "delete a link")):
        sub = commands.add_parser(name, parents=[client], help=text)
        sub.add_argument("key", help="the key, or the short URL")
        sub.set_defaults(func=func)
    keys = commands.add_parser("keys", help="create, list and revoke API keys (local stack, or --stack NAME)")
    api_keys_cli.add_arguments(keys)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ApiError as exc:
        print(f"snip: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
