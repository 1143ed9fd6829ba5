"""docs/openapi.json is what GET /openapi.json serves, and docs/api.md names every route of it.

After a change to the routes or models: `make api-docs` rewrites docs/openapi.json (this module, run).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.service.conftest import Call

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "openapi.json"
REFERENCE = ROOT / "docs" / "api.md"


def served() -> str:
    """The document as shorten serves it (the resolver needs no table to build it)."""
    from snip.links_api.docs_routes import openapi_document
    from snip.links_api.event_handler_app import app

    return openapi_document(app) + "\n"


def test_docs_openapi_json_is_what_the_service_serves(call: Call) -> None:
    reply = call("GET", "/openapi.json", api_key_id=None)
    assert reply.status == 200
    assert json.loads(DOCUMENT.read_text()) == json.loads(reply.body), "run `make api-docs`"


def test_the_api_reference_shows_every_route_with_an_example() -> None:
    paths = json.loads(DOCUMENT.read_text())["paths"]
    text = REFERENCE.read_text()
    headings = set(re.findall(r"^## `?([A-Z]+(?: ?/ ?[A-Z]+)?) (\S+?)`?$", text, flags=re.MULTILINE))
    documented = {(m, p) for methods, p in headings for m in methods.replace(" ", "").split("/")}
    assert documented == {(m.upper(), p) for p, ops in paths.items() for m in ops}
    sections = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    for section in sections:
        assert "curl " in section, section.splitlines()[0]


if __name__ == "__main__":
    DOCUMENT.write_text(served())
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
