"""CDK context becomes a SnipConfig; nothing here needs a synth."""

from __future__ import annotations

import pytest
from aws_cdk import App

from infra.context import SnipConfig
from snip_deploy.powertools import LAYER_VERSION as POWERTOOLS_LAYER_VERSION


def config(**context: object) -> SnipConfig:
    return SnipConfig.from_context(App(context=dict(context)).node)


def test_defaults_have_no_optional_features() -> None:
    found = config()
    assert found == SnipConfig()
    assert (found.domain_name, found.waf, found.alarm_email, found.public_base_url) == (
        None,
        False,
        None,
        None,
    )
    assert found.powertools_layer_version == POWERTOOLS_LAYER_VERSION


def test_context_strings_as_the_cli_passes_them() -> None:
    found = config(
        domainName="sho.rt",
        certificateArn="arn:aws:acm:us-east-1:123456789012:certificate/x",
        hostedZoneId="Z1",
        alarmEmail="ops@example.com",
        waf="true",
        powertoolsLayerVersion="42",
    )
    assert found.public_base_url == "https://sho.rt"
    assert found.waf is True
    assert found.powertools_layer_version == 42
    assert config(waf="false").waf is False
    assert config(waf=True).waf is True


def test_a_domain_needs_its_certificate() -> None:
    with pytest.raises(ValueError, match="certificateArn"):
        config(domainName="sho.rt")
    with pytest.raises(ValueError, match="domainName"):
        config(hostedZoneId="Z1")
