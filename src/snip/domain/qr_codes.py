"""QR codes of short links (GET /links/{key}/qr), drawn by segno.

segno is pure Python (no Pillow). It is pinned in
functions/shorten/requirements.txt and installed into the shorten function's asset at synth
time (infra/function_bundling.py; tests/infra/test_assets.py checks the release), so only that
function carries it. It is imported on the first QR request only: creates and redirects never
pay for it.

``size`` is exact (CONTRACT §2): the PNG is ``size`` x ``size`` pixels. segno gives the modules
(``matrix_iter``) and this module writes them, each the largest whole number of pixels that fits
(a fractional module would blur the code), centred in a light square of ``size`` pixels: the quiet
zone is at least ``BORDER`` modules and takes the pixels left over. The PNG is 8-bit greyscale,
written with the standard library's zlib (segno's own PNG writer draws only whole modules). The SVG
is segno's, in module units (``viewBox``), declaring ``size`` x ``size``.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from snip.domain.errors import InvalidInput

QrFormat = Literal["svg", "png"]
MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 64, 2048, 512  # PNG pixels
QR_SOURCE = "qr=1"  # marks a visit as a QR scan (stats source "qr")
BORDER = 4  # the quiet zone the QR standard asks for, in modules
DARK, LIGHT = b"\x00", b"\xff"  # PNG greyscale
MEDIA_TYPES: dict[str, str] = {"svg": "image/svg+xml", "png": "image/png"}


@dataclass(frozen=True)
class QrImage:
    media_type: str
    body: bytes | str  # PNG bytes, or the SVG document


def scan_url(short_url: str) -> str:
    """What the code encodes: the short URL, marked so that its visits count as QR scans."""
    return f"{short_url}?{QR_SOURCE}"


def render(short_url: str, image_format: QrFormat, size: int = DEFAULT_SIZE) -> QrImage:
    """The QR code of ``scan_url(short_url)``, ``size`` x ``size``: an SVG (which scales without
    loss) or a PNG of exactly that many pixels."""
    import segno

    code = segno.make(scan_url(short_url), error="m", micro=False)
    if image_format == "svg":
        buffer = io.BytesIO()
        code.save(buffer, kind="svg", scale=1, border=BORDER, omitsize=True)
        svg = buffer.getvalue().decode("utf-8")
        return QrImage(MEDIA_TYPES["svg"], svg.replace("<svg ", f'<svg width="{size}" height="{size}" ', 1))
    return QrImage(MEDIA_TYPES["png"], png(list(code.matrix_iter(scale=1, border=BORDER)), size))


def png(modules: Sequence[Iterable[int]], size: int) -> bytes:
    """``modules`` (rows of 1 dark, 0 light, quiet zone included) as a ``size`` x ``size`` PNG."""
    scale = max(1, size // len(modules))
    drawn = len(modules) * scale
    if drawn > size:
        raise InvalidInput(f"size: this code needs at least {drawn} pixels.", code="invalid_qr")
    before = (size - drawn) // 2
    after = size - drawn - before
    blank = b"\x00" + LIGHT * size  # each row starts with its filter type, 0: none
    rows = [blank] * before
    for row in modules:
        pixels = b"".join((DARK if dark else LIGHT) * scale for dark in row)
        rows += [b"\x00" + LIGHT * before + pixels + LIGHT * after] * scale
    rows += [blank] * after
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(b"".join(rows), 9)),
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
