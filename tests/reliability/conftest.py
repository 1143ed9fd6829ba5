"""Reliability suites: faults, hostile input, schema conformance, concurrency and held load.

In-process suites reuse the service tests' fixtures (handlers on moto); the HTTP suites share one
local stack (``snip serve`` on free ports, as tests/e2e starts it). ``SNIP_LONG=1`` runs the long
variants (more creates, a 60 s load); the default run is bounded to a few minutes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.e2e.stacks import Stack, launch, stop
from tests.reliability import figures
from tests.reliability.http import set_faults
from tests.service.conftest import (  # noqa: F401  (fixtures, re-exported for this folder)
    dynamodb,
    empty_tables,
    filled_pool,
    handlers,
    settings_env,
)

LONG = os.environ.get("SNIP_LONG", "") not in ("", "0")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not figures.FIGURES:
        return
    terminalreporter.section("reliability figures")
    for line in figures.render():
        terminalreporter.write_line(line)
    figures.save()


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One local stack for the HTTP suites: throttles and quota high enough not to be the subject.

    The API Gateway throttles get their own tests in tests/e2e; here they would only hide what
    the functions and DynamoDB do under load. Function logs are off to keep the stack's log short.
    """
    running = launch(
        tmp_path_factory.mktemp("reliability"),
        "reliability",
        SNIP_THROTTLE_KEY_RATE="100000",
        SNIP_THROTTLE_KEY_BURST="100000",
        SNIP_QUOTA_PER_DAY="100000000",
        SNIP_KEYGEN_INTERVAL="5",
        SNIP_MAX_WORKERS="4",
        SNIP_FUNCTION_LOGS="off",
    )
    yield running
    assert stop(running) == 0, running.log()[-4000:]


@pytest.fixture(scope="session")
def faulty_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A local stack for the suites that inject faults between the functions and DynamoDB.

    Its own stack, so that faults never leak into another suite; throttles lifted as above. keygen
    runs when a test invokes it (or when shorten asks), not on a timer that would race the checks.
    """
    running = launch(
        tmp_path_factory.mktemp("faulty"),
        "faulty",
        SNIP_THROTTLE_KEY_RATE="100000",
        SNIP_THROTTLE_KEY_BURST="100000",
        SNIP_QUOTA_PER_DAY="100000000",
        SNIP_KEYGEN_INTERVAL="3600",
        SNIP_MAX_WORKERS="4",
        SNIP_FUNCTION_LOGS="off",
    )
    yield running
    assert stop(running) == 0, running.log()[-4000:]


@pytest.fixture
def no_faults_after(faulty_stack: Stack) -> Iterator[Stack]:
    """The faulty stack, with its faults turned off again when the test ends, whatever happened."""
    set_faults(faulty_stack, "")
    yield faulty_stack
    set_faults(faulty_stack, "")
