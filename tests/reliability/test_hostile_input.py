"""Hostile input against every route, in-process: hand-written tricks and generated cases.

Each case goes through ``Hostile.send``: no 5xx, every 4xx in Snip's error shape, and no table
changed by a refused request. Generated cases are derandomized (the same cases every run).
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from snip.settings import DEFAULT_TABLES
from snip_deploy.tables import create_tables
from tests.reliability import figures
from tests.reliability.hostile import API_HOST, OWN_HOST, Hostile, clear_links
from tests.service.conftest import BASE_URL, LambdaContext, new_instance
from tests.service.visits_table_setup import ensure_visits_table

EXAMPLES = 60  # per generated test; 6 tests
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TOTALS: dict[str, Any] = {"cases": 0, "statuses": {}, "codes": {}}

# -- URL tricks ------------------------------------------------------------------------------
LONG_PATH = "https://example.com/" + "a" * (2048 - len("https://example.com/"))
REJECTED_URLS = [
    # schemes
    "javascript:alert(1)", "JavaScript:alert(document.cookie)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "data:,hello", "file:///etc/passwd", "ftp://example.com/",
    "gopher://example.com/", "mailto:a@example.com", "ws://example.com/", "wss://example.com/",
    "vbscript:msgbox(1)", "about:blank", "chrome://settings", "httpx://example.com", "blob:https://e.com/x",
    # not absolute, no host
    "http:/example.com", "http:example.com", "//example.com/path", "example.com", "/relative/path", "",
    "https://", "https:///path", "http://?", "http://#", "https://:80/", "?q=1", "#frag",
    # whitespace, control, bidi and invisible characters
    " https://example.com", "https://example.com ", "https://exa mple.com", "\x00https://example.com",
    "https://example.com/\x00", "https://example.com/\n", "https://example.com/\r\nSet-Cookie: a=b",
    "https://example.com/\t", "https://example.com/\u202egnp.exe", "https://example.com/\u200b",
    "https://exa\u200bmple.com", "https://example.com/\u2028", "https://example.com/\ufeff",
    "https://example.com/\x7f", "https://example.com/\x85", "https://example.com/\u00a0",
    "https://example.com/\u3000", "https://example.com/\u2066x\u2069", "https://example.com/\ud800",
    "https://example.com\\@evil.com", "https://example.com\\.evil.com", "https:\\\\evil.com",
    # user-info
    "https://user@example.com", "https://user:pass@example.com/", "https://:@example.com",
    "https://example.com@evil.com", "https://example.com%40x@evil.com", "https://@example.com",
    "https://a:b@c:d@example.com",
    # bad hosts and ports
    "https://-example.com", "https://example-.com", "https://example..com", "https://exa_mple.com",
    "https://" + "a" * 64 + ".com", "https://example.com:99999", "https://example.com:0",
    "https://example.com:-1", "https://example.com:abc", "https://example.com:80:80", "https://[::1",
    "https://[zz::1]/", "https://%65xample.com", "https://exa<mple.com",
    "https://exa\"mple.com", "https://" + "ä" * 70 + ".com",
    # over-long
    LONG_PATH + "a", LONG_PATH + "/b\u00e4",
    # self-references
    f"https://{OWN_HOST}/abc1234", f"https://{OWN_HOST.upper()}/abc1234", f"https://{OWN_HOST}./x",
    f"https://{OWN_HOST}:443/x", f"http://{OWN_HOST}/x", f"https://{API_HOST}/prod/abc1234",
    f"https://{API_HOST.upper()}./prod/x",
]  # fmt: skip
ACCEPTED_URLS = [
    "https://example.com", "HTTPS://EXAMPLE.COM/Path?q=1#frag", "http://example.com:8080/a?b=c&d=e",
    "https://例え.jp/パス", "https://xn--r8jz45g.jp/", "http://[::1]:8080/", "http://127.0.0.1/",
    "https://example.com/%E2%80%AE", "https://example.com/%00", LONG_PATH, "https://ex\u0430mple.com/",
    f"https://not{OWN_HOST}/x", f"https://{OWN_HOST}.evil.com/x",
]  # fmt: skip


@pytest.fixture(scope="module")
def environment() -> Iterator[tuple[dict[str, Any], Any]]:
    """Handlers on moto, shared by the whole module: every case checks its own table changes."""
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        patch.setenv("SNIP_PUBLIC_BASE_URL", BASE_URL)
        for name, table in DEFAULT_TABLES.items():
            patch.setenv(name, table)
        new_instance()
        client = boto3.client("dynamodb")
        create_tables(client, DEFAULT_TABLES)
        ensure_visits_table(client)  # resolve writes visit events (a no-op once ALL_TABLES has it)
        import keygen_app
        import resolve_app
        import shorten_app

        handlers = {
            "shorten": shorten_app.handler,
            "resolve": resolve_app.handler,
            "keygen": keygen_app.handler,
        }
        handlers["keygen"]({"source": "aws.events"}, LambdaContext())
        yield handlers, client
        new_instance()


@pytest.fixture
def hostile(environment: tuple[dict[str, Any], Any], request: pytest.FixtureRequest) -> Iterator[Hostile]:
    clear_links(environment[1])
    probe = Hostile(*environment)
    yield probe
    if request.node.get_closest_marker("xfail"):  # a known defect's cases are reported apart
        TOTALS["known_defect_cases"] = TOTALS.get("known_defect_cases", 0) + probe.cases
        return
    TOTALS["cases"] += probe.cases
    kind = "generated" if getattr(request.node.function, "is_hypothesis_test", False) else "hand_written"
    TOTALS[kind] = TOTALS.get(kind, 0) + probe.cases
    for name, counter in (("statuses", probe.statuses), ("codes", probe.codes)):
        for key, count in counter.items():
            TOTALS[name][key] = TOTALS[name].get(key, 0) + count
    figures.record(
        "hostile input",
        cases=TOTALS["cases"],
        hand_written=TOTALS.get("hand_written", 0),
        generated=TOTALS.get("generated", 0),
        answers_5xx=sum(n for status, n in TOTALS["statuses"].items() if status >= 500),
        statuses=dict(sorted(TOTALS["statuses"].items())),
        error_codes=dict(sorted(TOTALS["codes"].items())),
        known_defect_cases=TOTALS.get("known_defect_cases", 0),
    )


def post(hostile: Hostile, body: Any, **kwargs: Any) -> Any:
    return hostile.send(
        "POST", "/links", body=body if isinstance(body, (str, bytes)) else json.dumps(body), **kwargs
    )


@pytest.mark.parametrize("url", REJECTED_URLS)
def test_url_tricks_are_refused(hostile: Hostile, url: str) -> None:
    reply = post(hostile, {"url": url})
    assert (reply.status, reply.error_code) == (400, "invalid_url")
    key = post(hostile, {"url": "https://example.com/ok"}).json["key"]
    reply = hostile.send("PATCH", f"/links/{key}", body=json.dumps({"url": url}))
    assert (reply.status, reply.error_code) == (400, "invalid_url")


@pytest.mark.parametrize("url", ACCEPTED_URLS)
def test_unusual_but_valid_urls_are_kept_as_given(hostile: Hostile, url: str) -> None:
    reply = post(hostile, {"url": url})
    assert reply.status == 201, reply.body
    follow = hostile.send("GET", f"/{reply.json['key']}", api_key_id=None)
    assert (follow.status, follow.headers["Location"]) == (302, url)


FIELD_TRICKS = [
    ("alias", "links"), ("alias", "LINKS"), ("alias", "Health"), ("alias", "openapi"), ("alias", "ab"),
    ("alias", "a" * 65), ("alias", "a b c"), ("alias", "../etc"), ("alias", "%2e%2e%2f"),
    ("alias", "ä-alias"), ("alias", "abc\u200b"), ("alias", "abc\n"), ("alias", 123), ("alias", ["abc"]),
    ("alias", "abc/def"), ("expires_at", "2020-01-01T00:00:00Z"), ("expires_at", "2030-01-01T00:00:00"),
    ("expires_at", "2030-01-01"),
    ("expires_at", "tomorrow"), ("expires_at", 1893456000), ("expires_at", "2030-13-01T00:00:00Z"),
    ("expires_at", "2030-02-30T00:00:00Z"), ("expires_at", "2030-01-01T24:00:00Z"),
    ("expires_at", "2030-01-01T23:59:60Z"), ("expires_at", "2030-01-01T00:00:00+24:00"),
    ("expires_at", "0001-01-01T00:00:00+01:00"), ("expires_at", "+2030-01-01T00:00:00Z"),
    ("expires_at", "\uff12\uff10\uff13\uff10-01-01T00:00:00Z"), ("expires_at", ""),
    ("max_visits", 0), ("max_visits", -1), ("max_visits", 1_000_000_001), ("max_visits", 10**400),
    ("max_visits", 1.5), ("max_visits", 1e400), ("max_visits", "5"), ("max_visits", True), ("max_visits", []),
    ("redirect_status", 200), ("redirect_status", 303), ("redirect_status", "301"),
    ("redirect_status", True), ("redirect_status", None), ("url", None), ("url", 42),
    ("url", ["https://e.com"]),
    ("url", {"href": "https://e.com"}), ("disabled", True), ("visits", 5), ("owner", "someone-else"),
    ("key", "chosen1"), ("__proto__", {}), ("", 1), ("URL", "https://e.com"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value"), FIELD_TRICKS, ids=lambda v: repr(v)[:30])
def test_field_tricks_are_refused_with_their_code(hostile: Hostile, name: str, value: Any) -> None:
    body = {"url": "https://example.com/f", name: value}
    reply = post(hostile, body)
    assert reply.status == 400, reply.body
    expected = (
        f"invalid_{name}" if name in ("alias", "expires_at", "max_visits", "redirect_status", "url") else None
    )
    assert reply.error_code == (expected or "unknown_field")


RAW_BODIES = [
    "", " ", "{", "}", "{]", "[]", "[{}]", "null", "true", "0", '"url"', "{'url': 'https://e.com'}",
    '{"url": "https://e.com",}', '{"url": "https://e.com"} {}', '{"url": "https://e.com"', "\ufeff{}",
    '{"url": NaN}', '{"url": Infinity}', "\x00", '{"url": "https://e.com", "url": "javascript:x"}',
    '{"url" "https://e.com"}', '{url: "https://e.com"}', "[" * 100 + "]" * 100,
    '{"a":' * 200 + "1" + "}" * 200,
]  # fmt: skip


@pytest.mark.parametrize("body", RAW_BODIES, ids=lambda b: repr(b)[:30])
def test_broken_json_is_refused(hostile: Hostile, body: str) -> None:
    reply = post(hostile, body)
    assert reply.status == 400, reply.body
    assert reply.error_code in ("invalid_json", "invalid_url", "unknown_field")


HEADER_TRICKS = [
    {"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"},
    {"Content-Type": ""}, {"Content-Type": "application/jsonx"},
    {"Content-Type": "multipart/form-data; boundary=x"},
    {"Content-Type": "application/json, text/plain"}, {"Content-Type": None},
    {"Idempotency-Key": ""}, {"Idempotency-Key": "x" * 129}, {"Idempotency-Key": "a b"},
    {"Idempotency-Key": "é"}, {"Idempotency-Key": "\x00"}, {"Idempotency-Key": "\t"},
]  # fmt: skip


@pytest.mark.parametrize("headers", HEADER_TRICKS, ids=repr)
def test_odd_headers_are_refused(hostile: Hostile, headers: dict[str, Any]) -> None:
    reply = post(hostile, {"url": "https://example.com/h"}, headers=headers)
    assert reply.status in (400, 415), reply.body


NOT_JSON_TEXT = {
    "garbage": b"\xff\xfe\x00{",
    "latin-1": '{"url": "https://e.com/\u00e9"}'.encode("latin-1"),
    "utf-16-le": json.dumps({"url": "https://e.com/b"}).encode("utf-16-le"),
}
UTF_WITH_BOM = {
    "utf-16": json.dumps({"url": "https://e.com/b"}).encode("utf-16"),
    "utf-32": json.dumps({"url": "https://e.com/b"}).encode("utf-32"),
}


@pytest.mark.parametrize("body", NOT_JSON_TEXT.values(), ids=NOT_JSON_TEXT.keys())
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_bodies_that_are_not_utf8_are_a_400(hostile: Hostile, body: bytes, method: str) -> None:
    reply = hostile.send(method, "/links" if method == "POST" else "/links/abcdefg", body=body)
    assert reply.error_code == "invalid_json"


@pytest.mark.parametrize("body", UTF_WITH_BOM.values(), ids=UTF_WITH_BOM.keys())
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_json_in_utf16_or_utf32_is_a_400(hostile: Hostile, body: bytes, method: str) -> None:
    reply = hostile.send(method, "/links" if method == "POST" else "/links/abcdefg", body=body)
    assert reply.status in (400, 415)


def test_junk_after_an_ipv6_literal_is_refused(hostile: Hostile) -> None:
    reply = post(hostile, {"url": "https://[::1]x/"})
    assert (reply.status, reply.error_code) == (400, "invalid_url")


def test_bodies_over_16_kib_are_refused(hostile: Hostile) -> None:
    for body in ({"url": LONG_PATH, "pad": "x" * 16_384}, {"url": "https://e.com/" + "a" * 100_000}):
        assert post(hostile, body).error_code == "body_too_large"
    assert post(hostile, b"x" * 16_385).error_code == "body_too_large"
    key = post(hostile, {"url": "https://example.com/p"}).json["key"]
    reply = hostile.send("PATCH", f"/links/{key}", body=json.dumps({"url": "https://e.com/" + "a" * 20_000}))
    assert reply.error_code == "body_too_large"


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_deeply_nested_json_is_a_400(hostile: Hostile, method: str) -> None:
    # 14 KB, under the 16 KiB limit, and deeper than the JSON parser's recursion limit
    path = "/links" if method == "POST" else "/links/abcdefg"
    for body in (
        "[" * 7000 + "]" * 7000,
        '{"url": "https://e.com", "x": ' + '{"a":' * 2500 + "1" + "}" * 2501,
    ):
        assert hostile.send(method, path, body=body).error_code == "invalid_json"


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_expiry_past_year_9999_in_utc_is_a_400(hostile: Hostile, method: str) -> None:
    path = "/links"
    if method == "PATCH":
        path = "/links/" + post(hostile, {"url": "https://example.com/e"}).json["key"]
    reply = hostile.send(
        method, path, body=json.dumps({"url": "https://e.com/", "expires_at": "9999-12-31T23:59:59-01:00"})
    )
    assert reply.error_code == "invalid_expires_at"


# -- generated cases ---------------------------------------------------------------------------
JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
HOSTILE_TEXT = st.text(
    alphabet=st.characters(codec="utf-8") | st.sampled_from("\x00\t\n\r \u202e\u200b\u2028\ufeff:/@\\?#%[]."),
    max_size=60,
)
URLS = st.one_of(
    st.sampled_from(REJECTED_URLS + ACCEPTED_URLS),
    HOSTILE_TEXT,
    st.builds(
        lambda scheme, host, rest: f"{scheme}://{host}{rest}",
        st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", "", "h\ttps"]),
        st.one_of(
            st.sampled_from(["example.com", OWN_HOST, API_HOST, "[::1]", "例え.jp", "a@b", "127.0.0.1:0"]),
            HOSTILE_TEXT,
        ),
        HOSTILE_TEXT,
    ),
)  # fmt: skip
TIMESTAMPS = st.one_of(
    st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(9998, 1, 1),
    ).map(lambda d: d.isoformat() + "Z"),
    HOSTILE_TEXT,
    JSON_LEAVES,
)
CREATE_BODIES = st.fixed_dictionaries(
    {"url": URLS | JSON_LEAVES},
    optional={
        "alias": st.text(alphabet=string.ascii_letters + string.digits + "_-./ é\x00", max_size=70)
        | JSON_LEAVES,
        "expires_at": TIMESTAMPS,
        "max_visits": st.integers(min_value=-(2**70), max_value=2**70) | JSON_LEAVES,
        "redirect_status": st.sampled_from([301, 302, 303, 307, 308, 200, 0]) | JSON_LEAVES,
        "extra": JSON_VALUES,
    },
)
PATCH_BODIES = st.fixed_dictionaries(
    {},
    optional={
        "url": URLS | JSON_LEAVES,
        "expires_at": TIMESTAMPS,
        "max_visits": st.integers(min_value=-5, max_value=2**40) | JSON_LEAVES,
        "redirect_status": st.sampled_from([301, 302, 303, 307, 308]) | JSON_LEAVES,
        "disabled": JSON_LEAVES,
        "owner": JSON_LEAVES,
    },
)
KEYS = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=80),
    st.sampled_from(["links", "health", "openapi.json", "..", "%2e%2e", "a" * 65, "abc\x00", "Abc1234 "]),
)
HEADERS = st.dictionaries(
    st.sampled_from(["Accept", "Content-Type", "Idempotency-Key", "User-Agent", "X-Forwarded-For", "Cookie",
                     "Accept-Encoding", "Range", "If-None-Match", "X-HTTP-Method-Override", "Host"]),
    st.one_of(HOSTILE_TEXT, st.sampled_from(["text/html", "application/json", "*/*;q=abc", "text/html;q=NaN",
                                             "Slackbot-LinkExpanding 1.0", "x" * 8000, "PUT"])),
    max_size=4,
)  # fmt: skip


# Bytes sent base64-encoded; kept valid UTF-8 (other bytes: test_bodies_that_are_not_utf8_are_a_400).
UTF8_BYTES = st.binary(max_size=200).map(lambda raw: raw.decode("utf-8", "replace").encode())


def json_text(value: Any) -> str:
    return json.dumps(value)  # ASCII: lone surrogates arrive escaped, as any HTTP client must send them


@SETTINGS
@given(body=CREATE_BODIES, headers=HEADERS)
def test_generated_creates(hostile: Hostile, body: dict[str, Any], headers: dict[str, str]) -> None:
    headers.pop("Content-Type", None)
    reply = post(hostile, json_text(body), headers=headers)
    if reply.status == 201:
        assert reply.json["url"] == body["url"]


@SETTINGS
@given(body=st.one_of(JSON_VALUES.map(json_text), HOSTILE_TEXT, UTF8_BYTES), headers=HEADERS)
def test_generated_bodies(hostile: Hostile, body: Any, headers: dict[str, str]) -> None:
    post(hostile, body, headers=headers)


@SETTINGS
@given(body=PATCH_BODIES, headers=HEADERS, key=st.none() | KEYS)
def test_generated_patches(
    hostile: Hostile, body: dict[str, Any], headers: dict[str, str], key: str | None
) -> None:
    headers.pop("Content-Type", None)
    if key is None:
        key = post(hostile, {"url": "https://example.com/patched"}).json["key"]
    hostile.send("PATCH", f"/links/{key}", body=json_text(body), headers=headers)


@SETTINGS
@given(key=KEYS, headers=HEADERS, method=st.sampled_from(["GET", "HEAD", "DELETE", "LINK GET"]))
def test_generated_keys(hostile: Hostile, key: str, headers: dict[str, str], method: str) -> None:
    if method == "LINK GET":
        hostile.send("GET", f"/links/{key}", headers=headers)
    elif method == "DELETE":
        hostile.send("DELETE", f"/links/{key}", headers=headers)
    else:
        hostile.send(method, f"/{key}", headers=headers, api_key_id=None)


@SETTINGS
@given(headers=HEADERS, body=st.none() | HOSTILE_TEXT, path=st.sampled_from(["/health", "/openapi.json"]))
def test_generated_public_routes(
    hostile: Hostile, headers: dict[str, str], body: str | None, path: str
) -> None:
    assert hostile.send("GET", path, body=body, headers=headers, api_key_id=None).status == 200


@SETTINGS
@given(owner=st.sampled_from(["owner-b", "owner-c"]), method=st.sampled_from(["GET", "PATCH", "DELETE"]))
def test_someone_elses_link_is_a_404(hostile: Hostile, owner: str, method: str) -> None:
    key = post(hostile, {"url": "https://example.com/mine"}).json["key"]
    body = json.dumps({"disabled": True}) if method == "PATCH" else None
    reply = hostile.send(method, f"/links/{key}", body=body, api_key_id=owner)
    assert reply.status == 404
