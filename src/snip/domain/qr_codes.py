"""QR codes of short links (GET /links/{key}/qr), drawn by segno.

segno is pure Python and writes SVG and PNG itself (no Pillow). It is pinned in
functions/shorten/requirements.txt and installed into the shorten function's asset at synth
time (infra/function_bundling.py; tests/infra/test_assets.py checks the release), so only that
function carries it. It is imported on the first QR request only: creates and redirects never
pay for it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

QrFormat = Literal["svg", "png"]
MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 64, 2048, 512  # PNG pixels
QR_SOURCE = "qr=1"  # marks a visit as a QR scan (stats source "qr")
BORDER = 4  # the quiet zone the QR standard asks for, in modules
SVG_SCALE = 8  # user units per module: its natural size; an SVG scales without loss anyway
MEDIA_TYPES: dict[str, str] = {"svg": "image/svg+xml", "png": "image/png"}


@dataclass(frozen=True)
class QrImage:
    media_type: str
    body: bytes | str  # PNG bytes, or the SVG document


def scan_url(short_url: str) -> str:
    """What the code encodes: the short URL, marked so that its visits count as QR scans."""
    return f"{short_url}?{QR_SOURCE}"


def render(short_url: str, image_format: QrFormat, size: int = DEFAULT_SIZE) -> QrImage:
    """The QR code of ``scan_url(short_url)``: an SVG that scales (``size`` does not apply), or
    a PNG at most ``size`` pixels wide, with the largest whole number of pixels per module that
    fits (a fractional module would blur the code)."""
    import segno

    code = segno.make(scan_url(short_url), error="m", micro=False)
    buffer = io.BytesIO()
    if image_format == "svg":
        code.save(buffer, kind="svg", scale=SVG_SCALE, border=BORDER)
        return QrImage(MEDIA_TYPES["svg"], buffer.getvalue().decode("utf-8"))
    width, _ = code.symbol_size(scale=1, border=BORDER)
    code.save(buffer, kind="png", scale=max(1, size // width), border=BORDER)
    return QrImage(MEDIA_TYPES["png"], buffer.getvalue())
