"""The local stack's own settings, read from the environment once, at start (documented in docs/local.md).

Each is a field of ``LocalConfig`` declared with ``snip.settings.setting`` (variable, default,
parser), the way the functions' settings are declared in ``snip.settings`` and the API limits in
``snip_deploy.api_limits``; a test checks docs/local.md's tables against all three. The functions'
settings (pool size, table names, ...) stay in ``snip.settings``: the stack passes the environment
through to them. Each function's timeout, memory and reserved concurrency are its deployed ones,
from ``snip_deploy.function_specs``: not settings of the local stack.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from snip.domain import api_scopes
from snip.settings import Env, Integer, Number, Parsed, read_declared, setting
from snip_deploy.api_limits import ApiLimits, read_api_limits

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
class LocalApiKey:
    """A key of ``SNIP_API_KEYS``: whose it is and what it may do (its secret is the dict key)."""

    owner: str
    scopes: tuple[str, ...] = api_scopes.ALL


def parse_api_keys(spec: str) -> dict[str, LocalApiKey]:
    """``"alice:secret1,alice:secret2:links.read"`` -> ``{secret: LocalApiKey(owner, scopes)}``.

    An entry is ``owner:secret`` (both scopes) or ``owner:secret:<scope>``; two entries may share
    an owner. The older ``id:secret`` reads the same way, the id becoming the owner. The stack
    records each key in the API-key registry at start (``snip_local.gateway``).
    """
    keys: dict[str, LocalApiKey] = {}
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
        keys[secret] = LocalApiKey(owner, key_scopes)
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


def _switch(raw: str) -> bool:
    return raw.lower() not in {"0", "off", "false", "no"}


def _events_dir(raw: str) -> Path:
    return Path(raw or ".snip").resolve()  # relative to the folder the stack starts in


_PORT = Integer(0, 65_535)


@dataclass(frozen=True)
class LocalConfig:
    port: int = setting("PORT", "8080", _PORT)
    aws_port: int = setting("SNIP_DYNAMODB_PORT", "8000", _PORT)
    # secret -> owner and scopes, recorded at start
    api_keys: dict[str, LocalApiKey] = setting(
        "SNIP_API_KEYS", DEFAULT_API_KEYS, Parsed(parse_api_keys, "owner:secret[:scope],...")
    )
    # Per function: the machine's cap (a function's reserved concurrency may be lower).
    max_workers: int = setting(
        "SNIP_MAX_WORKERS", "4", Parsed(lambda raw: max(1, int(raw)), "an integer (below 1 reads as 1)")
    )
    keygen_interval: float = setting("SNIP_KEYGEN_INTERVAL", "60", Number(above=0))  # seconds
    function_logs: bool = setting("SNIP_FUNCTION_LOGS", "on", Parsed(_switch, "on or off"))
    test_functions: dict[str, Path] = setting(
        "SNIP_TEST_FUNCTIONS", "", Parsed(parse_test_functions, "name=folder,...")
    )
    # The front door (snip_local.cloudfront_standin): redirects reach resolve as Function URL events;
    # off: the API-Gateway-only shape, redirects on the REST API as REST events.
    front_door: bool = setting("SNIP_FRONT_DOOR", "on", Parsed(_switch, "on or off"))
    # Holds events/dt=YYYY-MM-DD/*.jsonl: the raw visit events, laid out as in S3; and tables.json,
    # the tables saved across restarts (snip_local.saved_tables).
    events_dir: Path = setting(Env.EVENTS_DIR, "./.snip", Parsed(_events_dir, "a folder"))
    # Seconds between saves of the tables (when something was written): what a kill -9 may lose.
    save_interval: float = setting("SNIP_SAVE_INTERVAL", "1", Number(above=0))
    # Start empty: the saved tables and the raw events of earlier runs are removed (make run FRESH=1).
    fresh: bool = setting("SNIP_FRESH", "off", Parsed(_switch, "on or off"))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> LocalConfig:
        return read_declared(cls, env)


def api_limits(env: Mapping[str, str] = os.environ) -> ApiLimits:
    """The local gateway's limits: ``SNIP_THROTTLE_*`` / ``SNIP_QUOTA_PER_DAY`` from its environment."""
    return read_api_limits(env)
