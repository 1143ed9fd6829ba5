"""``snip serve``: start the whole stack in order, print how to use it, stop it all on Ctrl-C."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shlex
import signal
import socket
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

from snip.domain.api_scopes import ALL as ALL_SCOPES
from snip.settings import get_settings
from snip_deploy.function_specs import AGGREGATE, KEYGEN
from snip_deploy.tables import VISITS
from snip_local import running as running_stacks
from snip_local.aws_endpoint import EndpointServer
from snip_local.cloudfront_standin import LocalDistribution
from snip_local.faults import Faults
from snip_local.gateway import Gateway, GatewayServer, registry_at
from snip_local.keygen_timer import KeygenTimer
from snip_local.local_config import (
    DEFAULT_API_KEYS,
    REGION,
    LocalConfig,
    api_limits,
    function_name,
    parse_api_keys,
)
from snip_local.local_functions import LocalFunctions
from snip_local.routing import TEST_PREFIX, Router
from snip_local.saved_tables import FILE_NAME, SavedStateError, TableKeeper, claim, forget
from snip_local.stream_poller import StreamPoller

log = logging.getLogger("snip_local")


def _configure_logging() -> None:
    # Line-buffered, so that a log file (the e2e tests read one) sees each line as it is written.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGINT and SIGTERM both stop the stack the same, orderly way


def snip_line(config: LocalConfig) -> str:
    """A ``snip`` command to paste in another shell: the script as a path, the key if not the default."""
    script = Path(sys.executable).with_name("snip")
    with contextlib.suppress(ValueError):  # under the current folder: say it as `make run` users see it
        script = script.relative_to(Path.cwd())
    secret = next(iter(config.api_keys))
    needs_key = secret != next(iter(parse_api_keys(DEFAULT_API_KEYS)))
    prefix = f"SNIP_API_KEY={shlex.quote(secret)} " if needs_key else ""
    return f"{prefix}{shlex.quote(str(script))} shorten https://example.com/"


def banner(
    config: LocalConfig, tables: dict[str, str], functions: LocalFunctions, faults: Faults | None = None
) -> str:
    secret = next(iter(config.api_keys))
    curl = (
        f"curl -s -X POST {config.base_url}/links -H 'x-api-key: {secret}' "
        "-H 'content-type: application/json' -d " + shlex.quote('{"url": "https://example.com/"}')
    )
    keys = ", ".join(
        f"{key.owner}: {secret}" + ("" if key.scopes == ALL_SCOPES else f" ({', '.join(key.scopes)})")
        for secret, key in config.api_keys.items()
    )
    settings = get_settings()
    return "\n".join(
        [
            f"Snip is running on {config.base_url}   (Ctrl-C stops it)",
            f"  API keys (x-api-key)  {keys}   (more: snip keys create OWNER)",
            f"  DynamoDB endpoint     {config.aws_url}   (region {REGION}, any credentials)",
            f"  tables                {', '.join(tables.values())}",
            f"  Lambda Invoke API     {config.aws_url}   ({', '.join(functions.pools)})",
            f"  visit events          {config.events_dir}/events/dt=YYYY-MM-DD/  (JSON Lines, docs/local.md)",
            f"  saved tables          {config.events_dir / FILE_NAME}  "
            f"(every {config.save_interval:g} s and at stop; make run FRESH=1 starts empty)",
            f"  keygen                every {config.keygen_interval:g} s; "
            f"pool target {settings.pool_target}, refill below {settings.refill_threshold}",
            *(
                [f"  faults                {faults.spec} (seed {faults.seed}; {config.aws_url}/_snip/faults)"]
                if faults is not None and faults.spec
                else []
            ),
            "Try:",
            f"  {curl}",
            f"  {snip_line(config)}",
            "",
        ]
    )


def _say_restored(keeper: TableKeeper) -> None:
    restored = keeper.restore()
    if restored is None:
        log.info("no saved tables at %s: starting empty", keeper.path)
        return
    counts = ", ".join(f"{name} {count}" for name, count in restored.items.items())
    log.info(
        "restored the tables saved at %s from %s: %s items; %d visit events to hand the aggregator",
        restored.saved_at,
        keeper.path,
        counts,
        restored.pending,
    )


def _save_at_stop(keeper: TableKeeper, functions: LocalFunctions) -> None:
    functions.close()  # no request in flight writes after the save (closing twice is harmless)
    keeper.stop()
    log.info("tables saved to %s", keeper.path)


def _port_in_use(config: LocalConfig) -> str | None:
    """The taken port and the setting that moves it. Checked before the servers start: werkzeug's
    own message (and exit) names neither."""
    ports = ((config.port, "PORT", "the API"), (config.aws_port, "SNIP_DYNAMODB_PORT", "DynamoDB"))
    for port, setting, what in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return (
                    f"port {port} ({setting}, {what}) is in use by another program; set {setting} "
                    f"to a free port, e.g. {setting}={port + 1} make run"
                )
    return None


def serve() -> int:
    _configure_logging()
    try:
        config = LocalConfig.from_env()
        faults = Faults.from_env(os.environ)  # SNIP_FAULTS, SNIP_FAULTS_SEED (docs/local.md)
    except ValueError as exc:
        print(f"snip serve: bad setting: {exc} (see docs/local.md)", file=sys.stderr)
        return 2
    busy = _port_in_use(config)
    if busy is not None:
        print(f"snip serve: {busy}", file=sys.stderr)
        return 1
    # Installed explicitly: a shell starts background jobs with SIGINT ignored, and Python keeps that.
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        folder = claim(config.events_dir)  # held until this process ends
    except (SavedStateError, OSError) as exc:
        print(f"snip serve: {exc}", file=sys.stderr)
        return 1
    if config.fresh:
        for path in forget(config.events_dir):
            log.info("FRESH: removed %s", path)
    with folder, ExitStack() as running:
        try:
            functions = LocalFunctions(config)
            running.callback(functions.close)
            endpoint = EndpointServer(config.aws_port, functions, faults)
            gateway = GatewayServer(
                config.port,
                Gateway(
                    functions,
                    Router(list(config.test_functions)),
                    config.api_keys,
                    api_limits(),
                    registry_at(config.aws_url),
                    LocalDistribution([TEST_PREFIX + "/"]) if config.front_door else None,
                ),
            )
            endpoint.start()
            running.callback(endpoint.stop)
            tables = endpoint.create_tables()
            # The visits table's stream feeds the aggregator, as the event source mapping does deployed.
            poller = StreamPoller(
                functions.pools[function_name(AGGREGATE.name)],
                config.aws_url,
                tables[VISITS.env_name],
                failed_file=config.events_dir / "failed-visit-batches.jsonl",
            )
            keeper = TableKeeper(
                config.events_dir / FILE_NAME,
                endpoint.app.lock,
                lambda: endpoint.app.writes,
                lambda: {poller.table_name: poller.delivered_through},
                config.save_interval,
            )
            try:
                _say_restored(keeper)
            except SavedStateError as exc:
                print(f"snip serve: {exc}; move it away, or start empty: make run FRESH=1", file=sys.stderr)
                return 1
            schedule = KeygenTimer(functions.pools[function_name(KEYGEN.name)], config.keygen_interval)
            # The pool is filled before the gateway accepts a request, as a deployed stack's would be.
            if not schedule.run_once():
                print("snip serve: keygen's initial fill failed (see above)", file=sys.stderr)
                return 1
            keeper.start()
            # Last save once nothing writes any more: after the gateway, poller, schedule and the
            # functions' environments stop, before the endpoint does.
            running.callback(_save_at_stop, keeper, functions)
            schedule.start()
            running.callback(schedule.stop)
            poller.start()
            running.callback(poller.stop)
            gateway.start()
            running.callback(gateway.stop)
            record = running_stacks.announce(Path.cwd(), config.port, config.base_url, config.aws_url)
            running.callback(running_stacks.withdraw, record)
            sys.stdout.write(banner(config, tables, functions, faults))
            threading.Event().wait()
        except KeyboardInterrupt:
            log.info("stopping")
        except OSError as exc:
            print(f"snip serve: {exc}", file=sys.stderr)
            return 1
    log.info("stopped")
    return 0
