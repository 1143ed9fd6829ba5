"""The local stack's own settings, read from the environment once, at start (documented in docs/local.md).

The functions' settings (pool size, table names, ...) stay in ``snip.settings``; the stack only passes
the environment through to them. Each function's timeout, memory and reserved concurrency are its
deployed ones, from ``snip_deploy.function_specs``: not settings of the local stack.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from snip.domain import api_scopes

# The pipeline's bound locally (CONTRACT §2: a visit is in stats within 5 s): stats' as_of.
LOCAL_STATS_LAG_SECONDS = 5

# What moto answers for; any client region and account is folded into these (see aws_endpoint).
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
STAGE = "local"
API_ID = "snip-local"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_API_KEYS = "local:local-dev-key"


FUNCTION_NAME_PREFIX = "snip-"


def function_name(name: str) -> str:
    """The local Lambda function name of a function (``FunctionSpec.name``), as the functions see it."""
    return f"{FUNCTION_NAME_PREFIX}{name}"


@dataclass(frozen=True)
class LocalKey:
    """A key of ``SNIP_API_KEYS``: whose it is and what it may do (its secret is the dict key)."""

    owner: str
    scopes: tuple[str, ...] = api_scopes.ALL


def parse_api_keys(spec: str) -> dict[str, LocalKey]:
    """``"alice:secret1,alice:secret2:links.read"`` -> ``{secret: LocalKey(owner, scopes)}``.

    An entry is ``owner:secret`` (both scopes) or ``owner:secret:<scope>``; two entries may share
    an owner. The older ``id:secret`` reads the same way, the id becoming the owner. The stack
    records each key in the API-key registry at start (``snip_local.gateway``).
    """
    keys: dict[str, LocalKey] = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        owner, sep, secret = entry.partition(":")
        key_scopes: tuple[str, ...] = api_scopes.ALL
        head, colon, last = secret.rpartition(":")
        if colon and last in api_scopes.ALL:
            secret, key_scopes = head, api_scopes.parse(last)
        if not sep or not owner or not secret:
            raise ValueError(f"SNIP_API_KEYS entry {entry!r} is not owner:secret or owner:secret:scope")
        if secret in keys:
            raise ValueError(f"SNIP_API_KEYS: two keys share the secret of {owner!r}")
        keys[secret] = LocalKey(owner, key_scopes)
    if not keys:
        raise ValueError("SNIP_API_KEYS names no key")
    return keys


def parse_test_functions(spec: str) -> dict[str, Path]:
    """Test-only ``SNIP_TEST_FUNCTIONS="name=folder,..."``: extra functions (or stand-ins for Snip's own)."""
    functions: dict[str, Path] = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, folder = entry.partition("=")
        if not sep or not name.isidentifier():
            raise ValueError(f"SNIP_TEST_FUNCTIONS entry {entry!r} is not name=folder")
        functions[name] = (REPO_ROOT / folder).resolve()
    return functions


@dataclass(frozen=True)
class LocalConfig:
    port: int
    aws_port: int
    api_keys: dict[str, LocalKey]  # secret -> owner and scopes (SNIP_API_KEYS), recorded at start
    max_workers: int  # per function: the machine's cap (a function's reserved concurrency may be lower)
    keygen_interval: float  # seconds between scheduled keygen runs
    function_logs: bool
    test_functions: dict[str, Path]
    # Holds events/dt=YYYY-MM-DD/*.jsonl: the raw visit events, laid out as in S3.
    events_dir: Path = field(default_factory=lambda: Path.cwd() / ".snip")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    @classmethod
    def from_env(cls) -> LocalConfig:
        env = os.environ
        return cls(
            port=int(env.get("PORT", "8080")),
            aws_port=int(env.get("SNIP_DYNAMODB_PORT", "8000")),
            api_keys=parse_api_keys(env.get("SNIP_API_KEYS", DEFAULT_API_KEYS)),
            max_workers=max(1, int(env.get("SNIP_MAX_WORKERS", "4"))),
            keygen_interval=float(env.get("SNIP_KEYGEN_INTERVAL", "60")),
            function_logs=env.get("SNIP_FUNCTION_LOGS", "on").lower() not in {"0", "off", "false", "no"},
            test_functions=parse_test_functions(env.get("SNIP_TEST_FUNCTIONS", "")),
            events_dir=Path(env.get("SNIP_EVENTS_DIR") or Path.cwd() / ".snip").resolve(),
        )
