"""Every periodic job, registered for the one `rq cron tasks.schedule` process (UTC times)."""

from __future__ import annotations

import os

from rq import cron

from tasks import deliveries, housekeeping

QUEUE = os.environ.get("RQ_QUEUE", "linli")

cron.register(housekeeping.run, QUEUE, cron="17 * * * *", job_timeout=600, name="housekeeping")

# Every 20 s, so deliveries that missed the queue go out within a minute of Redis returning.
cron.register(deliveries.sweep_outbox, QUEUE, interval=20, job_timeout=300, name="sweep-outbox")
