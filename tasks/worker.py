"""The RQ worker class the Procfile runs: it builds the app before forking, once."""

from __future__ import annotations

import logging
from typing import Any

from rq import Queue, Worker
from rq.job import Job

from tasks.app import get_app


class AppWorker(Worker):
    """A forking RQ worker whose work horses inherit an app built once in the parent."""

    def bootstrap(self, *args: Any, **kwargs: Any) -> None:
        # Building the app takes about a second of imports; pay it once, not once per job.
        get_app()
        # RQ gives these loggers their own handler; the app's root handler would print each twice.
        for name in ("rq.worker", "rq.job"):
            logging.getLogger(name).propagate = False
        super().bootstrap(*args, **kwargs)

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        from models import db

        # A forked child must not share the parent's pooled database connections.
        with get_app().app_context():
            db.engine.dispose(close=False)
        super().main_work_horse(job, queue)
