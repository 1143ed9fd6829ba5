"""The e2e suite runs against local stacks it starts and stops itself, on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stacks import Stack, launch, stop


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack most tests share: default limits, a small pool, keygen only on demand."""
    running = launch(
        tmp_path_factory.mktemp("stacks"),
        "main",
        SNIP_POOL_TARGET="20",
        SNIP_KEYGEN_INTERVAL="3600",
    )
    yield running
    assert stop(running) == 0, running.log()[-4000:]
