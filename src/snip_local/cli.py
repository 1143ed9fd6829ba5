"""The ``snip`` command: ``snip serve`` runs the local stack; the others talk to a Snip API.

One command per route of the links API (``snip_local.api_client`` finds the API and says what a
refusal means): ``shorten``, ``get``, ``list``, ``update``, ``delete``, ``stats``, ``qr``; ``export``
and ``import`` (``snip_local.link_transfer``, files read by ``snip_local.link_import``); and ``keys``
(``snip_local.api_keys_cli``). ``--json`` prints the API's JSON instead of lines.

A link whose key is also a route under /links/ (``batch``, ``bulk``, ``export``, ``summary``: keys
made before those words were reserved) still redirects, but GET, PATCH and DELETE /links/{key}
reach the route instead: ``snip list`` points such links out (``--shadowed`` lists them all) so
that their owner can recreate them under another key, and ``get``, ``update`` and ``delete`` say
so instead of showing another route's answer.

Exit codes: 0 done; 1 the API refused the request (4xx); 2 bad usage; 3 no such link (404/410);
4 the API could not be reached or failed (connection error, 5xx, throttled).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from snip.domain import clock
from snip.domain.validation import MAX_PAGE_SIZE, REDIRECT_STATUSES
from snip_deploy.routes import ROUTES
from snip_local import api_keys_cli, link_import, link_transfer
from snip_local.api_client import (
    NOT_FOUND,
    OK,
    REFUSED,
    STACK_ENV,
    UNAVAILABLE,
    USAGE,
    ApiClient,
    ApiError,
    api_url_of,
)
from snip_local.text_columns import aligned

__all__ = ["NOT_FOUND", "OK", "REFUSED", "UNAVAILABLE", "USAGE", "api_url_of", "main", "parser"]

FIELDS = (
    "key",
    "url",
    "title",
    "notes",
    "tags",
    "created_at",
    "expires_at",
    "max_visits",
    "redirect_status",
    "visits",
    "bot_visits",
    "last_visit_at",
    "disabled",
)
BREAKDOWNS = ("referrers", "countries", "devices", "browsers", "os", "sources")
QR_FORMATS = ("svg", "png")
EXPORT_FORMATS = ("csv", "jsonl")
ORDERS = ("newest", "oldest")
CLEAR = "none"  # `--max-visits none`, `--expires-at none`: remove the limit
_UNSET: Any = object()  # an update option not given (None means "clear it")


def _key_of(text: str) -> str:
    """A key, or the short URL that contains it."""
    return urlsplit(text).path.rstrip("/").rpartition("/")[2] if "://" in text else text


def shadowed_keys() -> frozenset[str]:
    """Keys that are also a route under /links/ (``snip_deploy.routes``): /links/{key} never
    reaches such a link, whose key was given before its word became reserved."""
    return frozenset(
        route.path.split("/")[2]
        for route in ROUTES
        if route.path.count("/") == 2 and route.path.startswith("/links/") and "{" not in route.path
    )


def _link_path(text: str) -> str:
    """/links/{key} for a key or short URL; bad usage if that path is another route."""
    key = _key_of(text)
    if key in shadowed_keys():
        raise ApiError(
            f"/links/{key} is the API's own route, not your link {key!r}: it still redirects, but the "
            f"API cannot show, change or delete it. Recreate it under another key (`snip list "
            f"--shadowed` lists such links).",
            USAGE,
        )
    return f"/links/{key}"


def _text_or_clear(text: str) -> str | None:
    """``--title ''`` and ``--notes ''`` clear them (null)."""
    return text or None


def _tags(text: str) -> list[str]:
    """``"news, launch"`` or ``"news launch"`` -> ``["news", "launch"]``; ``""`` -> ``[]`` (no tags)."""
    return [tag for tag in re.split(r"[\s,]+", text) if tag]


def _max_visits(text: str) -> int | None:
    if text.lower() == CLEAR:
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number nor {CLEAR!r}: {text!r}") from None


def _expires_at(text: str) -> str | None:
    return None if text.lower() == CLEAR else text


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2))


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "-"
    return str(value)


def show(link: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(link)
        return
    if link.get("short_url"):
        print(link["short_url"])
    for name in FIELDS:
        if name in link:
            lines = _cell(link[name]).splitlines() or [""]  # notes may hold line breaks: kept aligned
            print("\n".join([f"  {name:<16} {lines[0]}", *(" " * 19 + line for line in lines[1:])]))


def state_of(link: dict[str, Any], now: str) -> str:
    """What a redirect of the link answers, in a word: active, or why it is gone."""
    if link.get("disabled"):
        return "disabled"
    if link.get("expires_at") and link["expires_at"] <= now:  # both RFC 3339 UTC, to the second
        return "expired"
    if link.get("max_visits") is not None and link.get("visits", 0) >= link["max_visits"]:
        return "used-up"
    return "active"


def link_rows(links: Sequence[dict[str, Any]]) -> list[str]:
    now = clock.format_ts(clock.utcnow())
    table = [("KEY", "STATE", "VISITS", "CREATED", "TAGS", "URL")] + [
        (
            link["key"],
            state_of(link, now),
            str(link.get("visits", 0)),
            link.get("created_at") or "-",
            _cell(link.get("tags")),
            link["url"],
        )
        for link in links
    ]
    return aligned(table)


# -- the commands --------------------------------------------------------------------------------
def cmd_shorten(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"url": args.url}
    for name in ("alias", "expires_at", "max_visits", "redirect_status", "tags", "title", "notes"):
        if getattr(args, name) is not None:
            body[name] = getattr(args, name)
    show(ApiClient.from_args(args).call("POST", "/links", body), args.json)
    return OK


def cmd_get(args: argparse.Namespace) -> int:
    show(ApiClient.from_args(args).call("GET", _link_path(args.key)), args.json)
    return OK


def _shadowed_links(client: ApiClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every link of the owner whose key is a route under /links/ (found by searching for it)."""
    found = []
    for key in sorted(shadowed_keys()):
        for page in client.pages("/links", {**params, "q": key, "cursor": None}):
            found += [link for link in page["links"] if link["key"] == key]
    return found


def cmd_list(args: argparse.Namespace) -> int:
    client = ApiClient.from_args(args)
    params = {"limit": args.limit, "tag": args.tag, "q": args.q, "order": args.order, "cursor": args.cursor}
    page: dict[str, Any]
    if args.shadowed:
        page = {"links": _shadowed_links(client, params), "next_cursor": None}
    elif args.all:
        links = [link for page in client.pages("/links", params) for link in page["links"]]
        page = {"links": links, "next_cursor": None}
    else:
        page = client.call("GET", "/links", params=params)
    if args.json:
        _print_json(page)
        return OK
    if page["links"]:
        print("\n".join(link_rows(page["links"])))
    else:
        said = ["no", *["shadowed"] * args.shadowed, "links"]
        said += [f"tagged {args.tag}"] * bool(args.tag) + [f"matching {args.q!r}"] * bool(args.q)
        print(" ".join(said))
    shadowed = [link["key"] for link in page["links"] if link["key"] in shadowed_keys()]
    if shadowed:
        print(
            f"note: {', '.join(shadowed)}: the key is also an API route (/links/{shadowed[0]}...), so the "
            "API cannot show, change or delete the link, though it still redirects; recreate it under "
            "another key (snip shorten URL --alias NEW) and share the new short URL",
            file=sys.stderr,
        )
    if page.get("next_cursor"):
        print(f"more: snip list --all, or --cursor {page['next_cursor']}", file=sys.stderr)
    return OK


def cmd_update(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {}
    if args.url is not None:
        body["url"] = args.url
    if args.tags is not None:
        body["tags"] = args.tags
    if args.disabled is not None:
        body["disabled"] = args.disabled
    if args.redirect_status is not None:
        body["redirect_status"] = args.redirect_status
    for name in ("max_visits", "expires_at", "title", "notes"):
        if getattr(args, name) is not _UNSET:
            body[name] = getattr(args, name)  # None (from `none`, or '' for title and notes) clears it
    if not body:
        raise ApiError(
            "nothing to change: give --url, --title, --notes, --tags, --disable, --enable, --max-visits, "
            "--expires-at or --redirect-status",
            USAGE,
        )
    show(ApiClient.from_args(args).call("PATCH", _link_path(args.key), body), args.json)
    return OK


def cmd_delete(args: argparse.Namespace) -> int:
    key = _key_of(args.key)
    ApiClient.from_args(args).call("DELETE", _link_path(key))
    if args.json:
        _print_json({"key": key, "deleted": True})
    else:
        print(f"deleted {key}")
    return OK


def cmd_stats(args: argparse.Namespace) -> int:
    key = _key_of(args.key)
    params = {"from": args.from_, "to": args.to, "interval": args.interval}
    stats = ApiClient.from_args(args).call("GET", f"/links/{key}/stats", params=params)
    if args.json:
        _print_json(stats)
        return OK
    total = stats["total"]
    print(f"{stats['key']}  {stats['from']} to {stats['to']}, by {stats['interval']} (UTC)")
    print(
        f"  visits {total['visits']}, bot visits {total['bot_visits']} (all counted before {stats['as_of']})"
    )
    busy = [bucket for bucket in stats["series"] if bucket["visits"] or bucket["bot_visits"]]
    if busy:
        table = [("  START", "VISITS", "BOT_VISITS")] + [
            (f"  {b['start']}", str(b["visits"]), str(b["bot_visits"])) for b in busy
        ]
        print("\n".join(aligned(table)))
        print(f"  ({len(stats['series']) - len(busy)} other {stats['interval']}s: no visits)")
    for name in BREAKDOWNS:
        entries = stats.get(name) or []
        if entries:
            print(f"  {name}: " + ", ".join(f"{entry['value']} {entry['visits']}" for entry in entries))
    return OK


def _qr_format(args: argparse.Namespace) -> str:
    """--format, else the output file's suffix, else svg; a contradiction is bad usage."""
    suffix = Path(args.output).suffix.lower().lstrip(".") if args.output else ""
    if args.format and suffix in QR_FORMATS and suffix != args.format:
        raise ApiError(f"-o {args.output} is not a {args.format} file name", USAGE)
    if args.format:
        return str(args.format)
    if args.output and suffix not in QR_FORMATS:
        raise ApiError(f"-o {args.output}: name a .png or .svg file, or give --format", USAGE)
    return suffix or "svg"


def cmd_qr(args: argparse.Namespace) -> int:
    key = _key_of(args.key)
    image_format = _qr_format(args)
    if not args.output and image_format == "png" and sys.stdout.isatty():
        raise ApiError("a PNG is not for a terminal: give -o FILE.png, or redirect the output", USAGE)
    response = ApiClient.from_args(args).request(
        "GET", f"/links/{key}/qr", params={"format": image_format, "size": args.size}
    )
    media_type = response.headers.get("Content-Type", "")
    if args.output:
        Path(args.output).write_bytes(response.content)
        if args.json:
            _print_json(
                {"key": key, "file": args.output, "media_type": media_type, "bytes": len(response.content)}
            )
        else:
            print(f"wrote {args.output} ({media_type}, {len(response.content)} bytes)")
    else:
        sys.stdout.buffer.write(response.content)
        sys.stdout.flush()
    return OK


def _export_format(args: argparse.Namespace) -> str:
    """--format, else the output file's suffix (.jsonl), else csv."""
    if args.format:
        return str(args.format)
    suffix = Path(args.output).suffix.lower() if args.output else ""
    return "jsonl" if suffix in (".jsonl", ".ndjson") else "csv"


def cmd_export(args: argparse.Namespace) -> int:
    export_format = _export_format(args)
    pages = link_transfer.export_pages(ApiClient.from_args(args), export_format)
    if not args.output:
        link_transfer.write_export(pages, sys.stdout.buffer, export_format)
        sys.stdout.flush()
        return OK
    target = Path(args.output)
    partial = target.with_name(target.name + ".part")  # the file appears whole, or not at all
    try:
        with partial.open("wb") as out:
            links = link_transfer.write_export(pages, out, export_format)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    if args.json:
        _print_json({"file": args.output, "format": export_format, "links": links})
    else:
        print(f"wrote {args.output} ({export_format}, {links} links)")
    return OK


def cmd_import(args: argparse.Namespace) -> int:
    try:
        text = Path(args.file).read_bytes().decode("utf-8")
        parsed = link_import.parse(text, args.from_)
    except (OSError, UnicodeDecodeError, link_import.ImportFileError) as exc:
        raise ApiError(f"cannot import {args.file}: {exc}", USAGE) from exc
    results = link_transfer.Importer(ApiClient.from_args(args)).run(parsed.rows)
    results += [
        link_transfer.RowResult(problem.line, link_transfer.FAILED, message=problem.message)
        for problem in parsed.problems
    ]
    results.sort(key=lambda result: result.line)
    counts = {
        status: sum(result.status == status for result in results)
        for status in (link_transfer.CREATED, link_transfer.NEW_KEY, link_transfer.IMPORTED_BEFORE,
                       link_transfer.FAILED)
    }  # fmt: skip
    if args.json:
        _print_json(
            {
                "file": args.file,
                "format": parsed.format,
                **{status.replace(" ", "_"): count for status, count in counts.items()},
                "rows": [result.as_json() for result in results],
            }
        )
    else:
        for result in results:
            if result.status != link_transfer.CREATED or result.message:
                where = f" {result.short_url or result.key}" if result.key else ""
                said = f": {result.message}" if result.message else ""
                print(f"line {result.line}: {result.status}{where}{said}")
        print(
            f"{args.file} ({parsed.format}): {len(results)} rows, "
            + ", ".join(f"{count} {status}" for status, count in counts.items())
        )
    return REFUSED if counts[link_transfer.FAILED] else OK  # any row not imported fails the command


def cmd_serve(args: argparse.Namespace) -> int:
    from snip_local.serve import serve  # imports moto: only the server needs it

    return serve()


# -- the parser ----------------------------------------------------------------------------------
def _client_options() -> argparse.ArgumentParser:
    client = argparse.ArgumentParser(add_help=False)
    client.add_argument(
        "--api-url",
        help="default: --stack's, $SNIP_API_URL, $SNIP_STACK's, else the local stack "
        "(on $PORT, or the one `make run` started)",
    )
    client.add_argument(
        "--stack", help=f"a deployed stack's name: its API URL from its outputs (${STACK_ENV})"
    )
    client.add_argument("--region", help="the deployed stack's region (default: the AWS CLI's)")
    client.add_argument("--api-key", help="default: $SNIP_API_KEY, else the local stack's first key")
    client.add_argument("--json", action="store_true", help="print the API's JSON as is")
    return client


def _add_link_fields(command: argparse.ArgumentParser, clearable: bool) -> None:
    """The options a create and a change share (PATCH may clear max_visits and expires_at)."""
    clear = f" ({CLEAR!r} removes it)" if clearable else ""
    command.add_argument(
        "--tags",
        type=_tags,
        help="comma- or space-separated, e.g. news,launch" + (" ('' removes them all)" if clearable else ""),
    )
    command.add_argument(
        "--expires-at",
        type=_expires_at if clearable else str,
        default=_UNSET if clearable else None,
        help="RFC 3339, e.g. 2030-01-01T00:00:00Z" + clear,
    )
    command.add_argument(
        "--max-visits",
        type=_max_visits if clearable else int,
        default=_UNSET if clearable else None,
        help="redirects it may answer" + clear,
    )
    command.add_argument("--redirect-status", type=int, choices=REDIRECT_STATUSES)
    for name, text in (
        ("--title", "for your eyes only, 1-200 characters"),
        ("--notes", "up to 1,000 characters"),
    ):
        command.add_argument(
            name,
            type=_text_or_clear if clearable else str,
            default=_UNSET if clearable else None,
            help=text + (" ('' removes it)" if clearable else ""),
        )


def _add(
    commands: Any,
    name: str,
    func: Callable[[argparse.Namespace], int],
    text: str,
    client: argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    command: argparse.ArgumentParser = commands.add_parser(
        name, parents=[client], help=text, description=text
    )
    command.set_defaults(func=func)
    return command


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="snip", description="Snip, the URL shortener: local stack and client.")
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "serve", help="serve the whole of Snip on loopback (what `make run` runs)"
    ).set_defaults(func=cmd_serve)
    client = _client_options()

    shorten = _add(commands, "shorten", cmd_shorten, "create a short link (POST /links)", client)
    shorten.add_argument("url")
    shorten.add_argument("--alias", help="the key to use instead of a generated one")
    _add_link_fields(shorten, clearable=False)
    shorten.add_argument(
        "--idempotency-key", help="a retry with the same key and body answers the first link"
    )

    _add(commands, "get", cmd_get, "show a link (GET /links/{key})", client).add_argument(
        "key", help="the key, or the short URL"
    )

    listing = _add(commands, "list", cmd_list, "list your links, newest first (GET /links)", client)
    listing.add_argument("--tag", help="only links with this tag")
    listing.add_argument("--q", help="only links whose key, url, title or a tag contains this text")
    listing.add_argument("--order", choices=ORDERS, help="by creation (default: newest)")
    listing.add_argument(
        "--shadowed",
        action="store_true",
        help="only links whose key is also an API route (bulk, export, summary...): recreate them",
    )
    listing.add_argument("--all", action="store_true", help="every page, not just the first")
    listing.add_argument(
        "--limit", type=int, help=f"links per page, 1-{MAX_PAGE_SIZE} (the API's default: 25)"
    )
    listing.add_argument("--cursor", help="start at this page (a previous page's next_cursor)")

    update = _add(commands, "update", cmd_update, "change a link (PATCH /links/{key})", client)
    update.add_argument("key", help="the key, or the short URL")
    update.add_argument("--url", help="a new destination")
    _add_link_fields(update, clearable=True)
    enabled = update.add_mutually_exclusive_group()
    enabled.add_argument("--disable", dest="disabled", action="store_const", const=True, help="answer 410")
    enabled.add_argument(
        "--enable", dest="disabled", action="store_const", const=False, help="redirect again"
    )

    _add(commands, "delete", cmd_delete, "delete a link; its key is never reissued", client).add_argument(
        "key", help="the key, or the short URL"
    )

    stats = _add(commands, "stats", cmd_stats, "a link's visits (GET /links/{key}/stats)", client)
    stats.add_argument("key", help="the key, or the short URL")
    stats.add_argument("--from", dest="from_", help="RFC 3339, any offset (default: 30 days before --to)")
    stats.add_argument("--to", help="RFC 3339, any offset (default: now)")
    stats.add_argument("--interval", choices=("hour", "day"), help="bucket size (default: day)")

    qr = _add(commands, "qr", cmd_qr, "a QR code of the short link (GET /links/{key}/qr)", client)
    qr.add_argument("key", help="the key, or the short URL")
    qr.add_argument("-o", "--output", help="write it to FILE.png or FILE.svg (default: standard output)")
    qr.add_argument("--format", choices=QR_FORMATS, help="default: from -o's suffix, else svg")
    qr.add_argument("--size", type=int, help="pixels, 64-2048: the PNG is exactly size x size (default 512)")

    export = _add(commands, "export", cmd_export, "every link of yours, as CSV or JSON Lines", client)
    export.add_argument("-o", "--output", help="write it to FILE (default: standard output)")
    export.add_argument("--format", choices=EXPORT_FORMATS, help="default: jsonl for a .jsonl file, else csv")

    imported = _add(
        commands,
        "import",
        cmd_import,
        "create links from an export of Snip, Bitly, Shlink or YOURLS (POST /links/batch)",
        client,
    )
    imported.add_argument("file", help="the exported file")
    imported.add_argument(
        "--from",
        dest="from_",
        choices=link_import.FORMATS,
        help="what exported it (default: guessed from the file; csv and jsonl are Snip's own)",
    )

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
