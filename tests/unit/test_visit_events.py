"""The visit event both resolve and the aggregator read: its item round-trips, its fields are safe."""

from __future__ import annotations

import pytest

from snip.domain.visit_events import DIRECT, UNKNOWN, VisitEvent, country_code, referrer_host


def test_an_event_round_trips_through_its_item() -> None:
    event = VisitEvent(
        id="c0ffee00-1111-2222-3333-444455556666",
        at="2030-01-31T12:00:00.123Z",
        key="AbC1234",
        owner="alice",
        bot=False,
        referrer="news.example.com",
        country="DE",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
        source="qr",
        expires=1_900_000_000,
    )
    assert VisitEvent.from_item(event.to_item()) == event


@pytest.mark.parametrize(
    ("referer", "host"),
    [
        (None, DIRECT),
        ("", DIRECT),
        ("https://News.Example.com./a/path?token=secret#x", "news.example.com"),
        ("http://[::1]:8080/x", "::1"),
        ("not a url", DIRECT),
        ("https://[broken/", DIRECT),
        ("https://" + "a" * 60 + "." + "b" * 192 + "/", "a" * 60 + "." + "b" * 192),  # 253: a DNS name's most
        ("https://" + "a" * 60 + "." + "b" * 193 + "/", DIRECT),  # longer: no host
    ],
)
def test_the_referrer_is_its_host_only(referer: str | None, host: str) -> None:
    assert referrer_host(referer) == host


@pytest.mark.parametrize(
    ("header", "code"), [("de", "DE"), (" US ", "US"), (None, UNKNOWN), ("XXX", UNKNOWN), ("1A", UNKNOWN)]
)
def test_the_country_is_two_letters_or_unknown(header: str | None, code: str) -> None:
    assert country_code(header) == code
