"""GET /links/{key}/qr's ``size`` is exact (CONTRACT §2, issue 20.7): the PNG is ``size`` x
``size`` pixels, quiet zone included, and still reads back (zxing-cpp, not segno); the SVG
declares ``size`` x ``size`` too."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image

from tests.service.conftest import BASE_URL, Call

pytestmark = pytest.mark.usefixtures("filled_pool")


@pytest.fixture
def key(call: Call) -> str:
    reply = call("POST", "/links", body={"url": "https://example.com/", "alias": "qr-exact"})
    assert reply.status == 201
    return str(reply.json["key"])


@pytest.mark.parametrize("size", [64, 65, 100, 256, 300, 512, 1000, 2047, 2048])
def test_the_png_is_exactly_size_by_size(call: Call, key: str, size: int) -> None:
    reply = call("GET", f"/links/{key}/qr?format=png&size={size}")
    assert reply.status == 200, reply.body
    image = Image.open(io.BytesIO(reply.raw))
    assert (image.format, image.size) == ("PNG", (size, size))
    texts = [result.text for result in zxingcpp.read_barcodes(image)]
    assert texts == [f"{BASE_URL}/{key}?qr=1"]
    corners = [
        image.convert("L").getpixel(xy) for xy in [(0, 0), (size - 1, 0), (0, size - 1), (size - 1, size - 1)]
    ]
    assert corners == [255] * 4  # the quiet zone is light, all around


def test_the_default_png_is_512_by_512(call: Call, key: str) -> None:
    image = Image.open(io.BytesIO(call("GET", f"/links/{key}/qr?format=png").raw))
    assert image.size == (512, 512)


@pytest.mark.parametrize(("query", "size"), [("", 512), ("&size=64", 64), ("&size=2048", 2048)])
def test_the_svg_declares_size_by_size(call: Call, key: str, query: str, size: int) -> None:
    svg = call("GET", f"/links/{key}/qr?format=svg{query}").body
    root = re.search(r"<svg\b[^>]*>", svg)
    assert root is not None
    assert f'width="{size}"' in root.group()
    assert f'height="{size}"' in root.group()
    assert re.search(r'viewBox="0 0 (\d+) \1"', root.group())  # the modules scale to it
