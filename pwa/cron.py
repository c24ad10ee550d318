"""Every periodic job, scheduled for the one `rq cron pwa.cron` process (UTC times in RQ 2).

The jobs themselves are declared by their features in `pwa.features`.
"""

from __future__ import annotations

import os

from rq import cron

from pwa import features

QUEUE = os.environ.get("RQ_QUEUE", "linli")

for _job in features.periodic_jobs():
    cron.register(
        _job.func,
        QUEUE,
        cron=_job.cron,
        interval=_job.interval,
        job_timeout=_job.timeout,
        name=_job.name,
    )
