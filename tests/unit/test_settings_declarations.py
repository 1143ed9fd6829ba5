"""One declaration per setting: the functions, the CDK app, the local stack and the docs all read it.

The template side (each context key reaches exactly its functions) is tests/infra/test_context_settings.py;
here: the declarations are well formed, the local stack reads and passes them, the docs list them.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from snip.settings import DECLARATIONS, DEFAULT_TABLES, Env, Setting, Settings, declarations, read_settings
from snip_deploy.api_limits import ApiLimits, read_api_limits
from snip_deploy.function_specs import FUNCTIONS
from snip_local.local_config import LocalConfig
from snip_local.local_functions import function_env

ROOT = Path(__file__).resolve().parents[2]
LIMITS = declarations(ApiLimits)
LOCAL = declarations(LocalConfig)
# What the local stack sets for its functions itself (docs/local.md says so), not passed through.
SET_BY_THE_LOCAL_STACK = {Env.KEYGEN_FUNCTION, Env.PUBLIC_BASE_URL, Env.EVENTS_DIR}


def rows(doc: str) -> list[list[str]]:
    """The table rows of a Markdown file, as lists of cells."""
    text = (ROOT / "docs" / doc).read_text()
    return [
        [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        for line in text.splitlines()
        if line.startswith("| `")
    ]


def row_of(doc_rows: list[list[str]], first: str) -> list[str]:
    (found,) = (row for row in doc_rows if row[0] == first)
    return found


def test_every_declaration_is_well_formed() -> None:
    every = (*DECLARATIONS, *LIMITS, *LOCAL)
    for declared in every:
        # Its default is in its own range; a settings class with no variable set is the defaults.
        declared.value(None)
        # Only a context key's value is told to functions, and only to functions that exist.
        assert set(declared.functions) <= set(FUNCTIONS), declared.name
        assert not declared.functions or declared.context, declared.name
    for cls in (Settings, ApiLimits, LocalConfig):  # every field is a declared setting
        assert [f.name for f in fields(cls)] == [d.name for d in declarations(cls)]
    assert read_settings({}) == Settings()
    assert read_api_limits({}) == ApiLimits()
    contexts = [d.context for d in every if d.context]
    assert len(contexts) == len(set(contexts))
    variables = [d.env for d in every]
    # One variable, one declaration; the events folder is both the stack's (where it writes
    # them) and the functions' (what it tells them).
    assert sorted({v for v in variables if variables.count(v) > 1}) == [Env.EVENTS_DIR]
    assert DEFAULT_TABLES[Env.LINKS_TABLE] == "snip-links"
    assert len(DEFAULT_TABLES) == 6


@pytest.mark.parametrize(
    ("declared", "bad", "reason"),
    [
        (Settings.__dataclass_fields__["pool_target"], "0", "is outside 1..1000000"),
        (Settings.__dataclass_fields__["key_length"], "three", "is not an integer"),
        (Settings.__dataclass_fields__["pool_refill_ratio"], "1.5", "is outside (0, 1]"),
        (ApiLimits.__dataclass_fields__["key_rate"], "0", "must be greater than 0"),
        (ApiLimits.__dataclass_fields__["daily_quota"], "0", "must be at least 1"),
    ],
)
def test_a_bad_value_names_its_variable(declared: object, bad: str, reason: str) -> None:
    setting: Setting = declared.metadata["snip.setting"]  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=re.escape(f"{setting.env}={bad!r}: {reason}")):
        setting.value(bad)


def test_the_local_stack_passes_every_setting_through(monkeypatch: pytest.MonkeyPatch) -> None:
    passed = [d for d in DECLARATIONS if d.env.startswith("SNIP_") and d.env not in SET_BY_THE_LOCAL_STACK]
    for declared in passed:
        monkeypatch.setenv(declared.env, f"from-the-shell-{declared.name}")
    env = function_env(LocalConfig())
    for declared in passed:
        assert env[declared.env] == f"from-the-shell-{declared.name}"


def test_the_local_stack_reads_its_own_declarations(tmp_path: Path) -> None:
    shell = {
        "PORT": "9090",
        "SNIP_DYNAMODB_PORT": "9000",
        "SNIP_API_KEYS": "alice:s1",
        "SNIP_MAX_WORKERS": "2",
        "SNIP_KEYGEN_INTERVAL": "5",
        "SNIP_FUNCTION_LOGS": "off",
        "SNIP_TEST_FUNCTIONS": "probe=tests",
        "SNIP_FRONT_DOOR": "off",
        Env.EVENTS_DIR: str(tmp_path),
        "SNIP_SAVE_INTERVAL": "5",
        "SNIP_FRESH": "on",
        "SNIP_THROTTLE_KEY_BURST": "3",
    }
    assert {d.env for d in LOCAL} <= set(shell)
    config = LocalConfig.from_env(shell)
    for declared in LOCAL:
        assert getattr(config, declared.name) != declared.value(None), declared.env
    assert config.events_dir == tmp_path
    with pytest.raises(ValueError, match="PORT='http': is not an integer"):
        LocalConfig.from_env({"PORT": "http"})


def test_deploy_md_lists_every_context_key_as_declared() -> None:
    table = [row for row in rows("deploy.md") if len(row) == 6]
    declared = [d for d in (*DECLARATIONS, *LIMITS) if d.context]
    assert [row[0] for row in table] == [f"`{d.context}`" for d in declared]
    for d in declared:
        told = ", ".join(d.functions) if d.functions else "API Gateway"
        assert row_of(table, f"`{d.context}`")[:5] == [
            f"`{d.context}`",
            f"`{d.env}`",
            f"`{d.default}`",
            d.parse.range,
            told,
        ]


def test_local_md_lists_every_variable_with_its_local_default() -> None:
    table = rows("local.md")
    told = function_env(LocalConfig.from_env({}))  # what the functions get from an empty shell
    for d in DECLARATIONS:
        if d.env.startswith("SNIP_") and d.env not in SET_BY_THE_LOCAL_STACK | {Env.EVENTS_BUCKET}:
            assert row_of(table, f"`{d.env}`")[1] == f"`{told.get(d.env, d.default)}`", d.env
    for d in (*LOCAL, *LIMITS):
        if d.name != "test_functions":  # test-only: no default
            assert row_of(table, f"`{d.env}`")[1] == f"`{d.default}`", d.env
