"""Synthesize the CDK app once per test session: synth is the slow part of these tests."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.app import build_app
from infra.context import SnipConfig
from infra.synth import cdk_json_context
from snip.settings import Settings, get_settings
from snip_deploy.api_limits import ApiLimits, api_limits

DEFAULT = "Snip"
# Every optional feature switched on: custom domain with a Route 53 alias, WAF, alarm e-mail.
FULL = "SnipFull"
FULL_CONFIG = SnipConfig(
    domain_name="sho.rt",
    certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100",
    hosted_zone_id="Z0123456789ABCDEFGHIJ",
    alarm_email="ops@example.com",
    waf=True,
)


@dataclass(frozen=True)
class Assembly:
    directory: Path
    templates: dict[str, dict[str, Any]]
    settings: Settings  # what the stack was synthesized with: snip.settings' defaults
    limits: ApiLimits

    def template_path(self, stack: str) -> Path:
        return self.directory / f"{stack}.template.json"


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Assembly:
    """Both stacks in one app, synthesized once, with cdk-nag on (a finding fails the synth)."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    # The stack reads pool sizes and API limits from snip.settings: synthesize with its defaults.
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("SNIP_")]:
            env.delenv(name)
        env.setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
        get_settings.cache_clear()
        try:
            app = build_app(
                outdir=str(outdir),
                context=cdk_json_context(),
                stacks={DEFAULT: SnipConfig(), FULL: FULL_CONFIG},
            )
            app.synth()
            settings, limits = get_settings(), api_limits()
        finally:
            get_settings.cache_clear()
    templates = {
        stack: json.loads((outdir / f"{stack}.template.json").read_text()) for stack in (DEFAULT, FULL)
    }
    return Assembly(directory=outdir, templates=templates, settings=settings, limits=limits)


@pytest.fixture(scope="session")
def template(assembly: Assembly) -> dict[str, Any]:
    return assembly.templates[DEFAULT]


@pytest.fixture(scope="session")
def full_template(assembly: Assembly) -> dict[str, Any]:
    return assembly.templates[FULL]
