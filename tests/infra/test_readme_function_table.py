"""README's "What each function does" names every deployed function once, and each one's routes
exactly as snip_deploy.routes declares them."""

from __future__ import annotations

import re
from pathlib import Path

from snip_deploy.function_specs import ALL_FUNCTIONS
from snip_deploy.routes import ROUTES

README = Path(__file__).resolve().parents[2] / "README.md"
CODE = re.compile(r"`([^`]+)`")
ROUTE = re.compile(r"([A-Z]+)(?: (/\S*))?")  # `GET` or `GET /links`; any other code span is prose


def function_rows() -> dict[str, str]:
    """Function name -> its routes cell, from the section's table."""
    section = README.read_text().split("## What each function does", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and (name := CODE.fullmatch(cells[0])):
            rows[name.group(1)] = cells[1]
    return rows


def routes_in(cell: str) -> set[tuple[str, str]]:
    """`GET`/`PATCH`/`DELETE /links/{key}` -> three routes: methods gather until a path comes."""
    found: set[tuple[str, str]] = set()
    methods: list[str] = []
    for span in CODE.findall(cell):
        route = ROUTE.fullmatch(span)
        if route is None:
            methods = []
            continue
        methods.append(route.group(1))
        if route.group(2):
            found |= {(method, route.group(2)) for method in methods}
            methods = []
    return found


def test_the_table_has_one_row_per_function() -> None:
    assert sorted(function_rows()) == sorted(spec.name for spec in ALL_FUNCTIONS)


def test_each_row_names_exactly_its_functions_routes() -> None:
    rows = function_rows()
    for spec in ALL_FUNCTIONS:
        declared = {(route.method, route.path) for route in ROUTES if route.function == spec}
        assert routes_in(rows[spec.name]) == declared, spec.name
