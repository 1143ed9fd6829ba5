"""GET /links/{key}/qr: an SVG or PNG of the short URL with ?qr=1, for the link's owner only.

The PNG is read back by an independent QR reader (zxing-cpp), not by segno that drew it.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from tests.service.conftest import BASE_URL, Call

pytestmark = pytest.mark.usefixtures("filled_pool")


@pytest.fixture
def key(call: Call) -> str:
    reply = call("POST", "/links", body={"url": "https://example.com/", "alias": "qr-me"})
    assert reply.status == 201
    return str(reply.json["key"])


def decoded(image: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))]


def test_svg_by_default(call: Call, key: str) -> None:
    reply = call("GET", f"/links/{key}/qr")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "image/svg+xml"
    assert reply.headers["Cache-Control"] == "private, max-age=86400"
    assert not reply.is_base64
    assert "<svg" in reply.body
    assert reply.body.rstrip().endswith("</svg>")


def test_svg_is_a_standalone_document(call: Call, key: str) -> None:
    svg = call("GET", f"/links/{key}/qr?format=svg").body
    assert svg.startswith("<?xml")
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert "<path" in svg


@pytest.mark.parametrize("size", [64, 512, 2048, 300])
def test_png_is_decodable_and_sized(call: Call, key: str, size: int) -> None:
    reply = call("GET", f"/links/{key}/qr?format=png&size={size}")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "image/png"
    assert reply.headers["Cache-Control"] == "private, max-age=86400"
    assert reply.is_base64  # API Gateway turns it into bytes (binary media types)
    image = Image.open(io.BytesIO(reply.raw))
    assert image.format == "PNG"
    assert image.width == image.height
    assert size // 2 < image.width <= size or size < 100  # the largest whole module scale
    assert decoded(reply.raw) == [f"{BASE_URL}/{key}?qr=1"]


def test_default_png_size_is_at_most_512(call: Call, key: str) -> None:
    image = Image.open(io.BytesIO(call("GET", f"/links/{key}/qr?format=png").raw))
    assert 256 < image.width <= 512


@pytest.mark.parametrize(
    "query", ["format=gif", "format=", "format=PNG", "size=63", "size=2049", "size=big", "format=png&size=0"]
)
def test_invalid_qr(call: Call, key: str, query: str) -> None:
    reply = call("GET", f"/links/{key}/qr?{query}")
    assert (reply.status, reply.error_code) == (400, "invalid_qr"), reply.body


def test_another_owners_link_is_404(call: Call, key: str) -> None:
    reply = call("GET", f"/links/{key}/qr", api_key_id="owner-b")
    assert (reply.status, reply.error_code) == (404, "link_not_found")


@pytest.mark.parametrize("missing", ["nope123", "x" * 65])
def test_unknown_key_is_404(call: Call, missing: str) -> None:
    reply = call("GET", f"/links/{missing}/qr")
    assert (reply.status, reply.error_code) == (404, "link_not_found")


def test_deleted_link_is_404(call: Call, key: str) -> None:
    assert call("DELETE", f"/links/{key}").status == 204
    assert call("GET", f"/links/{key}/qr").status == 404


def test_the_scan_url_counts_as_a_redirect(call: Call, key: str, handlers: dict[str, Any]) -> None:
    reply = call("GET", f"/{key}?qr=1", api_key_id=None)
    assert reply.status == 302
