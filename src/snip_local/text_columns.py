"""Rows of text in aligned columns, for the ``snip`` command's tables (``snip list``, ``snip keys list``)."""

from __future__ import annotations

from collections.abc import Sequence

GAP = "  "


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Each row as one line: every cell but the last padded to its column's widest, two spaces
    between cells, so that columns line up and never run together, whatever their lengths."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        GAP.join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
