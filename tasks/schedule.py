"""Every periodic job, registered for the one `rq cron tasks.schedule` process (UTC times)."""

from __future__ import annotations

import os

from rq import cron

from tasks import deliveries, housekeeping
from tasks import visits as visit_jobs
from tasks import wishes as wish_jobs
from tasks import work_orders as work_order_jobs

QUEUE = os.environ.get("RQ_QUEUE", "linli")

cron.register(housekeeping.run, QUEUE, cron="17 * * * *", job_timeout=600, name="housekeeping")

# Every 20 s, so deliveries that missed the queue go out within a minute of Redis returning.
cron.register(deliveries.sweep_outbox, QUEUE, interval=20, job_timeout=300, name="sweep-outbox")

# Unclaimed wishes go up a level after their category's wait; every 10 minutes is close enough.
cron.register(
    wish_jobs.escalate, QUEUE, cron="*/10 * * * *", job_timeout=300, name="wish-escalation"
)

# Visit reminders (around day 20) and grid digests (around day 25): hourly, each community's
# own day and hour decide; what went out is recorded, so a repeat sends nothing.
cron.register(visit_jobs.remind, QUEUE, cron="5 * * * *", job_timeout=600, name="visit-reminders")

# Work orders: unclaimed ones announced again then escalated, claimers reminded before the
# window. Every 15 minutes; quiet hours and "once a day per order and person" are kept inside.
cron.register(
    work_order_jobs.chase, QUEUE, cron="*/15 * * * *", job_timeout=600, name="work-order-chase"
)
