"""Gunicorn's settings beyond the Procfile's command line: gunicorn reads this file from the
directory it starts in (its default `--config`), as the Procfile's `web` command does."""

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Take what the app built at start-up out of the garbage collector's generations.

    Modules, routes, SQLAlchemy's mappers and compiled statements, the translations: they live
    as long as the worker, yet every full collection scanned them all again. A page that makes
    many objects (the outbox's and the audit trail's rows) set off such collections often
    enough that they were a third or more of its CPU (docs/performance.md, eighth session).
    Frozen, a collection scans only what requests made since.
    """
    gc.collect()
    gc.freeze()


# The sync worker (the Procfile's default of one thread) is restarted when a request runs longer
# than this. Gunicorn's 30 s is short for a community's roster import or exports on a loaded
# machine; a worker truly stuck is still replaced.
timeout = 120
