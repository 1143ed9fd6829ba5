"""Visit markers: the same request always makes the same marker, and markers outlive every retry."""

from __future__ import annotations

import re

from snip.data import limited_visits
from snip_deploy.function_specs import RESOLVE, SHORTEN

NOW = "2027-01-02T03:04:05Z"
EPOCH = 1_798_859_045  # NOW in seconds since the epoch


def test_a_request_id_always_makes_the_same_marker() -> None:
    request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    marker = limited_visits.visit_marker(NOW, request_id)
    assert marker == limited_visits.visit_marker(NOW, request_id)
    assert marker == f"{EPOCH}:vVTmNza0jVsU"  # pinned: another digest or encoding fails here
    assert limited_visits.visit_marker(NOW, request_id + "x") != marker


def test_without_a_request_id_each_call_makes_its_own_marker() -> None:
    first, second = limited_visits.visit_marker(NOW, ""), limited_visits.visit_marker(NOW, "")
    assert first != second
    assert re.fullmatch(rf"{EPOCH}:[A-Za-z0-9_-]{{12}}", first)


def test_markers_are_kept_longer_than_any_request_that_counts_visits_can_last() -> None:
    # Every attempt of a visit is sent before its Lambda times out; the rest is clock skew.
    longest = max(RESOLVE.timeout_seconds, SHORTEN.timeout_seconds)
    assert 2 * longest <= limited_visits.VISIT_MARKER_SECONDS
