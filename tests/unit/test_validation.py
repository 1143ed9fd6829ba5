from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from snip.domain import clock, validation


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


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://sho.rt\u3002/X", "sho.rt"),  # the dot is mapped before the trailing one goes
        ("https://sho.rt\uff0e/X", "sho.rt"),
        ("https://sho.rt\uff61/X", "sho.rt"),
        ("https://sho\u3002rt/X", "sho.rt"),
        ("https://\uff33\uff28\uff2f.rt/X", "sho.rt"),  # full-width capitals
        ("http://127.1/", "127.0.0.1"),
        ("http://2130706433/", "127.0.0.1"),
        ("http://0x7f.0.0.1/", "127.0.0.1"),
        ("http://0177.0.0.1/", "127.0.0.1"),
        ("http://127.0.0.1./", "127.0.0.1"),
        ("http://[::ffff:127.0.0.1]/", "127.0.0.1"),
        ("http://[0:0:0:0:0:0:0:1]/", "::1"),
        ("http://[2001:DB8::1]/", "2001:db8::1"),
    ],
)
def test_every_spelling_of_a_host_normalizes_to_one(url: str, host: str) -> None:
    assert validation.check_url(url) == url  # what check_url takes, url_host reads the same way
    assert validation.url_host(url) == host


@pytest.mark.parametrize(
    "url", ["http://256.0.0.1/", "http://1.2.3.4.5/", "http://0x7g.0.0.1/", "https://a..b/"]
)
def test_hosts_that_read_as_no_address_are_rejected(url: str) -> None:
    with pytest.raises(ValueError):
        validation.check_url(url)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://sho.rt/", "sho.rt"),
        ("http://sho.rt:8443/", "sho.rt"),  # a public host is one service on every port
        ("http://localhost/", "loopback:80"),
        ("https://LOCALHOST./", "loopback:443"),
        ("http://127.1:8080/", "loopback:8080"),
        ("http://[::1]:8080/", "loopback:8080"),
        ("http://dev.localhost:8080/", "loopback:8080"),
        ("http://0.0.0.0:8080/", "loopback:8080"),
        ("http://10.0.0.1:8080/", "10.0.0.1"),
    ],
)
def test_server_address(url: str, address: str) -> None:
    assert validation.server_address(url) == address


def test_expires_at_is_normalized_to_utc_seconds() -> None:
    future = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    text = future.astimezone().isoformat()
    assert validation.check_expires_at(text) == clock.format_ts(future)


def test_a_fraction_of_a_second_rounds_the_expiry_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """0.3 s ahead, truncated, would name a second already begun: the link would be born expired."""
    now = datetime(2030, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: now)
    assert validation.check_expires_at("2030-01-01T00:00:00.8Z") == "2030-01-01T00:00:01Z"
    assert validation.check_expires_at("2030-01-01T00:00:01.000001Z") == "2030-01-01T00:00:02Z"
    assert validation.check_expires_at("2030-01-01T00:00:01Z") == "2030-01-01T00:00:01Z"
    with pytest.raises(ValueError, match="too far"):
        validation.check_expires_at("9999-12-31T23:59:59.5Z")


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
