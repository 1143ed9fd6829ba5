"""API Gateway's resource tree for Snip's routes (snip_deploy.routes.ROUTES), plus test-only functions."""

from __future__ import annotations

from dataclasses import dataclass

from snip_deploy.routes import ROUTES
from snip_local.local_config import function_name

TEST_PREFIX = "/__test__"


@dataclass(frozen=True)
class Target:
    resource: str  # "/links/{key}"
    function: str  # Lambda function name, "snip-shorten"
    api_key_required: bool


@dataclass(frozen=True)
class Match:
    target: Target
    path_parameters: dict[str, str]


class Router:
    def __init__(self, test_functions: list[str]) -> None:
        self._methods: dict[str, dict[str, Target]] = {}  # resource -> method -> target
        for route in ROUTES:
            self._add(route.method, route.path, function_name(route.function.name), route.api_key_required)
        # Test-only functions answer on /__test__/<name>, without a key; see docs/local.md.
        for name in test_functions:
            for method in ("GET", "POST"):
                self._add(method, f"{TEST_PREFIX}/{name}", function_name(name), False)

    def _add(self, method: str, resource: str, function: str, api_key_required: bool) -> None:
        self._methods.setdefault(resource, {})[method] = Target(resource, function, api_key_required)

    def match(self, method: str, path: str) -> Match | None:
        """The method of the resource API Gateway picks, or None (its "Missing Authentication Token").

        Like API Gateway, a literal segment beats a path parameter, and a resource that matches the
        path but lacks the method does not fall back to another resource.
        """
        segments = path.strip("/").split("/") if path.strip("/") else []
        best: tuple[tuple[bool, ...], str, dict[str, str]] | None = None
        for resource in self._methods:
            template = resource.strip("/").split("/") if resource.strip("/") else []
            if len(template) != len(segments):
                continue
            params: dict[str, str] = {}
            rank: list[bool] = []
            for part, segment in zip(template, segments, strict=True):
                if part.startswith("{") and part.endswith("}"):
                    if not segment:
                        break
                    params[part[1:-1]] = segment
                    rank.append(False)
                elif part == segment:
                    rank.append(True)
                else:
                    break
            else:
                if best is None or tuple(rank) > best[0]:
                    best = (tuple(rank), resource, params)
        if best is None:
            return None
        target = self._methods[best[1]].get(method)
        return Match(target, best[2]) if target else None
