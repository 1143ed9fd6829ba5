"""Reading a synthesized template: resources by type and by the construct path in their ids."""

from __future__ import annotations

from typing import Any


def resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == type_}


def logical_id(template: dict[str, Any], type_: str, prefix: str) -> str:
    """The one resource of ``type_`` whose logical id starts with ``prefix`` (its construct path)."""
    found = [lid for lid in resources(template, type_) if lid.startswith(prefix)]
    assert len(found) == 1, f"expected one {type_} named {prefix}*, found {found}"
    return found[0]


def resource(template: dict[str, Any], type_: str, prefix: str) -> dict[str, Any]:
    resource: dict[str, Any] = template["Resources"][logical_id(template, type_, prefix)]
    return resource


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def get_att(lid: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [lid, attribute]}
