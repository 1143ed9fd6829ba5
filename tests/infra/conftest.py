"""Synthesize the CDK app once per test session: synth is the slow part of these tests."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from infra.app import build_app
from infra.context import SnipConfig
from infra.synth import cdk_json_context
from snip.settings import Settings
from snip_deploy.api_limits import ApiLimits

DEFAULT = "Snip"
# Every optional feature switched on: custom domain with a Route 53 alias, WAF, alarm e-mail.
FULL = "SnipFull"
FULL_CONFIG = SnipConfig(
    domain_name="sho.rt",
    certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100",
    hosted_zone_id="Z0123456789ABCDEFGHIJ",
    alarm_email="ops@example.com",
    waf=True,
    region="us-east-1",  # the front door's web ACL then lives in this stack (infra/app.py)
)

# Today's shape (context frontDoor=false): no distribution, redirects on the REST API.
REST = "SnipRest"
REST_FULL = "SnipRestFull"
REST_FULL_CONFIG = replace(FULL_CONFIG, front_door=False, region=None)


@dataclass(frozen=True)
class Assembly:
    directory: Path
    templates: dict[str, dict[str, Any]]
    settings: Settings  # what the default stack was synthesized with: no context, so the defaults
    limits: ApiLimits

    def template_path(self, stack: str) -> Path:
        return self.directory / f"{stack}.template.json"


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    """The stacks in one app, synthesized once, with cdk-nag on (a finding fails the synth)."""
    # Pool sizes and API limits come from CDK context (none here: the defaults), not the shell.
    default = SnipConfig()
    stacks = {
        DEFAULT: default,
        FULL: FULL_CONFIG,
        REST: SnipConfig(front_door=False),
        REST_FULL: REST_FULL_CONFIG,
    }
    synthesized = synthesize(tmp_path_factory.mktemp("cdk.out"), stacks)
    return Assembly(
        directory=synthesized.directory,
        templates=synthesized.templates,
        settings=default.settings,
        limits=default.limits,
    )


def read_templates(outdir: Path, *stacks: str) -> dict[str, dict[str, Any]]:
    return {stack: json.loads((outdir / f"{stack}.template.json").read_text()) for stack in stacks}


@dataclass(frozen=True)
class Shapes:
    """An app of a test module's own stacks, synthesized once with cdk-nag on."""

    directory: Path
    templates: dict[str, dict[str, Any]]
    manifest: dict[str, Any]


def synthesize(outdir: Path, stacks: dict[str, SnipConfig], *also: str) -> Shapes:
    """``stacks`` (and the stacks ``also`` that the app adds, such as an ``Edge`` stack) synthesized
    into ``outdir``; a cdk-nag finding fails the synth."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
        build_app(outdir=str(outdir), context=cdk_json_context(), stacks=stacks).synth()
    return Shapes(
        outdir, read_templates(outdir, *stacks, *also), json.loads((outdir / "manifest.json").read_text())
    )


@pytest.fixture(scope="session")
def template(assembly: Assembly) -> dict[str, Any]:
    return assembly.templates[DEFAULT]


@pytest.fixture(scope="session")
def full_template(assembly: Assembly) -> dict[str, Any]:
    return assembly.templates[FULL]


@pytest.fixture(scope="session")
def rest_template(assembly: Assembly) -> dict[str, Any]:
    return assembly.templates[REST]


@pytest.fixture(scope="session")
def rest_full_template(assembly: Assembly) -> dict[str, Any]:
    return assembly.templates[REST_FULL]
