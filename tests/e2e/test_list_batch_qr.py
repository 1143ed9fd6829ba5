"""GET /links, POST /links/batch and GET /links/{key}/qr over HTTP, through the local gateway."""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

import requests
import zxingcpp
from PIL import Image

from tests.e2e.stacks import Stack


def create(stack: Stack, key_id: str = "local", **fields: Any) -> dict[str, Any]:
    body = {"url": "https://example.com/listed", **fields}
    reply = requests.post(f"{stack.base_url}/links", json=body, headers=stack.headers(key_id), timeout=30)
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


def listing(stack: Stack, key_id: str = "local", **query: Any) -> requests.Response:
    return requests.get(f"{stack.base_url}/links", params=query, headers=stack.headers(key_id), timeout=30)


def test_a_new_link_is_listed_within_2_s_newest_first(stack: Stack) -> None:
    tag = f"e2e-{uuid.uuid4().hex[:12]}"
    older = create(stack, tags=[tag])["key"]
    time.sleep(1.1)  # created_at has second precision
    newer = create(stack, tags=[tag])["key"]
    deadline = time.monotonic() + 2
    while True:
        keys = [link["key"] for link in listing(stack, tag=tag).json()["links"]]
        if len(keys) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert keys == [newer, older]


def test_pages_tag_filter_and_owners(stack: Stack) -> None:
    tag = f"e2e-{uuid.uuid4().hex[:12]}"
    tagged = {create(stack, tags=[tag.upper()])["key"] for _ in range(5)}
    create(stack, tags=["e2e-other"])
    create(stack, key_id="other", tags=[tag])  # another owner's: never listed for "local"
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = listing(stack, tag=tag, limit=2, **({"cursor": cursor} if cursor else {})).json()
        seen += [link["key"] for link in page["links"]]
        assert all(tag in link["tags"] for link in page["links"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(tagged)
    first = listing(stack, tag=tag, limit=2).json()
    refused = listing(stack, "other", cursor=first["next_cursor"])
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_cursor")
    bad = listing(stack, limit=0)
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_limit")


def test_batch_mixed_results_and_idempotent_replay(stack: Stack) -> None:
    alias = f"b-{uuid.uuid4().hex[:10]}"
    body = {
        "links": [
            {"url": "https://example.com/b1"},
            {"url": "ftp://example.com/"},
            {"url": "https://example.com/b2", "alias": alias},
            {"url": "https://example.com/b3", "alias": alias},
        ]
    }
    headers = {**stack.headers(), "Idempotency-Key": f"batch-{uuid.uuid4()}"}
    first = requests.post(f"{stack.base_url}/links/batch", json=body, headers=headers, timeout=30)
    assert first.status_code == 200, first.text
    results = first.json()["results"]
    assert [r["status"] for r in results] == [201, 400, 201, 409]
    assert results[1]["error"]["code"] == "invalid_url"
    assert results[3]["error"]["code"] == "alias_taken"
    for result in (results[0], results[2]):
        follow = requests.get(result["link"]["short_url"], allow_redirects=False, timeout=30)
        assert (follow.status_code, follow.headers["Location"]) == (302, result["link"]["url"])
    again = requests.post(f"{stack.base_url}/links/batch", json=body, headers=headers, timeout=30)
    assert (again.status_code, again.text) == (200, first.text)


def test_batch_of_100(stack: Stack) -> None:
    body = {"links": [{"url": f"https://example.com/many/{i}"} for i in range(100)]}
    reply = requests.post(f"{stack.base_url}/links/batch", json=body, headers=stack.headers(), timeout=60)
    results = reply.json()["results"]
    assert [r["status"] for r in results] == [201] * 100
    assert len({r["link"]["key"] for r in results}) == 100


def test_qr_svg_and_png(stack: Stack) -> None:
    link = create(stack)
    url = f"{stack.base_url}/links/{link['key']}/qr"
    svg = requests.get(url, headers=stack.headers(), timeout=30)
    assert svg.status_code == 200
    assert svg.headers["Content-Type"] == "image/svg+xml"
    assert svg.headers["Cache-Control"] == "private, max-age=86400"
    assert b"<svg" in svg.content
    png = requests.get(url, params={"format": "png", "size": 256}, headers=stack.headers(), timeout=30)
    assert png.status_code == 200
    assert png.headers["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")  # bytes, not base64 text
    found = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))]
    assert found == [f"{link['short_url']}?qr=1"]
    scanned = requests.get(found[0], allow_redirects=False, timeout=30)
    assert (scanned.status_code, scanned.headers["Location"]) == (302, link["url"])
    other = requests.get(url, headers=stack.headers("other"), timeout=30)
    assert other.status_code == 404
    bad = requests.get(url, params={"format": "gif"}, headers=stack.headers(), timeout=30)
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_qr")
