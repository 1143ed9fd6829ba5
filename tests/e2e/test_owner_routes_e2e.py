"""Search, bulk actions, the export and the summary over HTTP, through the local gateway: the
routes over /links/{key} reach shorten with the API key, and what they name (a short URL, the
next export answer) works as given."""

from __future__ import annotations

import csv
import io
import time
import uuid
from typing import Any

import requests

from tests.e2e.stacks import Stack


def create(stack: Stack, key_id: str = "local", **fields: Any) -> dict[str, Any]:
    body = {"url": "https://example.com/owner-routes", **fields}
    reply = requests.post(f"{stack.base_url}/links", json=body, headers=stack.headers(key_id), timeout=30)
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def get(stack: Stack, path: str, key_id: str = "local", **query: Any) -> requests.Response:
    return requests.get(f"{stack.base_url}{path}", params=query, headers=stack.headers(key_id), timeout=60)


def listed(stack: Stack, **query: Any) -> list[str]:
    """The keys the search finds, every page followed (the index follows within about 2 s)."""
    deadline = time.monotonic() + 2.5
    while True:
        keys: list[str] = []
        cursor = None
        while True:
            page = get(stack, "/links", **query, **({"cursor": cursor} if cursor else {}))
            assert page.status_code == 200, page.text
            keys += [link["key"] for link in page.json()["links"]]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        if keys or time.monotonic() > deadline:
            return keys
        time.sleep(0.2)


def test_search_finds_a_pasted_short_url_and_a_folded_title(stack: Stack) -> None:
    word = f"Straße-{uuid.uuid4().hex[:8]}"
    link = create(stack, title=f"Über {word}")
    assert listed(stack, q=link["short_url"]) == [link["key"]]
    assert listed(stack, q=word.upper().replace("ß", "SS")) == [link["key"]]
    assert listed(stack, q=word, order="oldest") == [link["key"]]


def test_bulk_changes_each_key_and_refuses_a_reader(stack: Stack) -> None:
    keys = [create(stack)["key"] for _ in range(2)]
    body = {"keys": [*keys, "no-such-key"], "action": "disable"}
    reply = requests.post(f"{stack.base_url}/links/bulk", json=body, headers=stack.headers(), timeout=30)
    assert reply.status_code == 200, reply.text
    assert [(r["key"], r["status"]) for r in reply.json()["results"]] == [
        (keys[0], 200), (keys[1], 200), ("no-such-key", 404)
    ]  # fmt: skip
    assert requests.get(f"{stack.base_url}/{keys[0]}", allow_redirects=False, timeout=30).status_code == 410
    no_key = requests.post(f"{stack.base_url}/links/bulk", json=body, timeout=30)
    assert no_key.status_code == 403


def test_the_export_names_its_next_answer_and_the_summary_counts(stack: Stack) -> None:
    made = create(stack, key_id="other", title="exported, with a comma")
    reply = get(stack, "/links/export", key_id="other")
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text, newline="")))
    assert made["key"] in {row["key"] for row in rows}
    assert next(row for row in rows if row["key"] == made["key"])["title"] == "exported, with a comma"
    # The next answer's address starts as short URLs do (both are the API's base): this stack's.
    assert made["short_url"].startswith(f"{stack.base_url}/")
    assert get(stack, "/links/export", key_id="other", format="jsonl").status_code == 200
    summary = get(stack, "/links/summary", key_id="other")
    assert summary.status_code == 200, summary.text
    assert summary.json()["links"] >= 1
    assert set(summary.json()) == {"links", "visits", "bot_visits", "top"}


def test_the_summary_follows_visits_and_deletes_through_the_pipeline(stack: Stack) -> None:
    """The owner's totals the local stream poller and aggregator keep (snip.data.owner_totals):
    visits counted once, a deleted link's visits taken off, whatever was in flight."""

    def summary() -> dict[str, Any]:
        reply = get(stack, "/links/summary", key_id="other")
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def until(check: Any) -> dict[str, Any]:
        deadline = time.monotonic() + 20  # the local pipeline counts within about 5 s
        while True:
            found = summary()
            if check(found) or time.monotonic() > deadline:
                return found

    before = summary()  # once what earlier tests' visits left in flight is through: steady
    for _ in range(8):
        time.sleep(2)
        now, before = before, summary()
        if now == before:
            break
    made = [create(stack, key_id="other", title=f"followed {n}")["key"] for n in range(3)]
    for n, key in enumerate(made):
        for _ in range(n + 2):  # 2, 3 and 4 visits
            assert (
                requests.get(f"{stack.base_url}/{key}", allow_redirects=False, timeout=30).status_code == 302
            )
    counted = until(lambda found: found["visits"] >= before["visits"] + 9)
    assert (counted["links"], counted["visits"]) == (before["links"] + 3, before["visits"] + 9)
    assert {
        "key": made[2],
        "url": "https://example.com/owner-routes",
        "title": "followed 2",
        "visits": 4,
    } in (counted["top"])
    # One more visit in flight when its link is deleted: neither it nor the link's others stay.
    assert requests.get(f"{stack.base_url}/{made[2]}", allow_redirects=False, timeout=30).status_code == 302
    gone = requests.delete(f"{stack.base_url}/links/{made[2]}", headers=stack.headers("other"), timeout=30)
    assert gone.status_code == 204
    after = until(lambda found: found["visits"] == before["visits"] + 5)
    assert (after["links"], after["visits"]) == (before["links"] + 2, before["visits"] + 5)
    assert made[2] not in {entry["key"] for entry in after["top"]}
    time.sleep(2)  # the visit in flight is through by now: still not counted
    assert summary()["visits"] == before["visits"] + 5
