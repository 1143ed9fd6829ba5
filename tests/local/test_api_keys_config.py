"""SNIP_API_KEYS (docs/local.md): owner:secret, owner:secret:scope, and the older id:secret."""

from __future__ import annotations

import pytest

from snip.domain import api_scopes
from snip_local.local_config import LocalApiKey, parse_api_keys


def test_owner_secret_and_scopes() -> None:
    keys = parse_api_keys("alice:s1, alice:s2:links.read,bob:s3:links.write")
    assert keys == {
        "s1": LocalApiKey("alice", api_scopes.ALL),
        "s2": LocalApiKey("alice", (api_scopes.READ,)),
        "s3": LocalApiKey("bob", (api_scopes.WRITE,)),
    }


def test_the_older_id_secret_reads_as_owner_secret() -> None:
    assert parse_api_keys("local:local-dev-key") == {"local-dev-key": LocalApiKey("local", api_scopes.ALL)}


def test_a_secret_may_hold_a_colon() -> None:
    assert parse_api_keys("a:b:c") == {"b:c": LocalApiKey("a", api_scopes.ALL)}


@pytest.mark.parametrize("spec", ["", "alice", ":s", "alice:", "a:s,b:s", "alice::links.read"])
def test_bad_entries(spec: str) -> None:
    with pytest.raises(ValueError, match="SNIP_API_KEYS"):
        parse_api_keys(spec)
