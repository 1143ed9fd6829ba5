"""keygen's EventBridge schedule: a "Scheduled Event" every interval, through the keygen function.

The local counterpart of ``infra.keygen_rule.KeygenRule``. EventBridge invokes a function
asynchronously: a run that finds keygen's one environment busy waits, as Lambda's queue would, up
to keygen's maximum event age, and is dropped after that.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from snip_local.local_config import ACCOUNT_ID, REGION
from snip_local.worker_pool import FunctionPool, NoCapacity

log = logging.getLogger("snip_local")


def scheduled_event(rule: str) -> dict[str, Any]:
    """What EventBridge sends a function on a schedule rule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule}"],
        "detail": {},
    }


class KeygenTimer:
    def __init__(self, pool: FunctionPool, interval: float) -> None:
        self.pool = pool
        self.interval = interval
        self.rule = f"{pool.spec.function_name}-schedule"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="keygen-schedule", daemon=True)

    def run_once(self) -> bool:
        try:
            outcome = self.pool.invoke(scheduled_event(self.rule), wait=self.pool.spec.max_event_age)
        except NoCapacity as exc:
            log.warning("keygen (schedule) dropped: %s", exc)
            return False
        if outcome.error is not None:
            log.error("keygen (schedule): %s: %s", outcome.error["errorType"], outcome.error["errorMessage"])
            return False
        log.info(
            "keygen (schedule) %s%s %.0fms: %s",
            outcome.worker,
            " (cold)" if outcome.cold else "",
            outcome.duration_ms,
            outcome.result,
        )
        return True

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:  # a missed run must not end the schedule, as on AWS
                log.exception("keygen (schedule) failed")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
