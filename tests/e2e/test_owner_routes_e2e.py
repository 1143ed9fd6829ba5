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
