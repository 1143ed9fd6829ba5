from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from snip import clock, validation


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://example.com:8080/path?q=1#frag",
        "HTTPS://EXAMPLE.COM/",
        "https://bücher.example/straße",
        "https://[2001:db8::1]/x",
        "https://192.0.2.1/",
        "https://example.com/" + "a" * 2000,
    ],
)
def test_accepted_urls(url: str) -> None:
    assert validation.check_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.com",
        "//example.com/x",
        "ftp://example.com",
        "javascript:alert(1)",
        "data:text/html,<script>",
        "file:///etc/passwd",
        "https://",
        "https://user@example.com",
        "https://user:pw@example.com",
        "https://example.com\\@evil.com",
        "https://exa mple.com",
        "https://example.com/\t",
        "https://example.com/\u202e",
        "https://example.com/\u200b",
        "https://example.com/\x7f",
        "https://example.com:99999/",
        "https://example.com:0/",
        "https://-bad-.com/",
        "https://exa_mple.com/",
        "https://" + "a" * 64 + ".com/",
        "https://example.com/" + "a" * 2048,
    ],
)
def test_rejected_urls(url: str) -> None:
    with pytest.raises(ValueError):
        validation.check_url(url)


def test_url_host_normalizes() -> None:
    assert validation.url_host("https://SHO.RT./x") == "sho.rt"
    assert validation.url_host("https://bücher.example/") == "xn--bcher-kva.example"


def test_expires_at_is_normalized_to_utc_seconds() -> None:
    future = datetime.now(UTC) + timedelta(days=1)
    text = future.astimezone().isoformat()
    assert validation.check_expires_at(text) == clock.format_ts(future)


@pytest.mark.parametrize(
    "text",
    [
        "2999-01-01",
        "2999-01-01T00:00:00",
        "2999-01-01 00:00:00Z",
        "2000-01-01T00:00:00Z",
        "soon",
        "2999-13-01T00:00:00Z",
    ],
)
def test_expires_at_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        validation.check_expires_at(text)


def test_rfc3339_fractions_and_offsets() -> None:
    moment = clock.parse_rfc3339("2030-01-31T12:00:00.123456789+02:00")
    assert clock.format_ts(moment) == "2030-01-31T10:00:00Z"
    assert clock.parse_rfc3339("2030-01-31t12:00:00z") == datetime(2030, 1, 31, 12, tzinfo=UTC)


def test_stored_timestamps_sort_like_instants() -> None:
    early = clock.format_ts(datetime(2030, 1, 1, 9, tzinfo=UTC))
    late = clock.format_ts(datetime(2030, 1, 1, 10, tzinfo=UTC))
    assert early < late


def test_expiry_that_overflows_utc_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="too far"):
        validation.check_expires_at("9999-12-31T23:59:59-01:00")


@pytest.mark.parametrize(
    "url", ["https://[::1]x/", "https://[::1/", "https://exa[mple.com/", "https://a.com:80:80/"]
)
def test_malformed_hosts_are_rejected(url: str) -> None:
    with pytest.raises(ValueError):
        validation.check_url(url)
