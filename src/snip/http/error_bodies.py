"""An error's body: the JSON error object, or a small HTML page for a browser, chosen by Accept.

Standard library only, and no other module of the runtime package: besides resolve's and shorten's
responses (``snip.http.responses``), the front door's throttle page carries this very file
(``functions/edge_throttle``, a Lambda@Edge function that has neither the runtime package nor a
layer), so that a visitor turned away at the edge reads the page resolve would give.
"""

from __future__ import annotations

import html
import json

JSON = "application/json"
HTML = "text/html; charset=utf-8"

# The page's heading per status; any other status is "Something went wrong".
PAGE_TITLES = {404: "Link not found", 410: "Link no longer active", 429: "Too many requests"}


def _quality(accept: str, media: str) -> float:
    best, best_specificity = 0.0, -1
    kind = media.split("/")[0]
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        rng = fields[0].lower()
        q = 1.0
        for param in fields[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        specificity = {media: 2, f"{kind}/*": 1, "*/*": 0}.get(rng, -1)
        if specificity > best_specificity:
            best, best_specificity = q, specificity
    return best


def prefers_html(accept: str | None) -> bool:
    """True when the client ranks text/html above application/json (browsers do; curl doesn't)."""
    if not accept:
        return False
    return _quality(accept, "text/html") > _quality(accept, JSON)


def error_body(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}})


def error_page(status: int, message: str) -> str:
    title = PAGE_TITLES.get(status, "Something went wrong")
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{title}</title><body style='font:16px system-ui;margin:4em auto;max-width:32em'>"
        f"<h1>{title}</h1><p>{html.escape(message)}</p></body></html>"
    )
