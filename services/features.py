"""Load every feature's inbound commands and message kinds, in the web and worker processes."""

from __future__ import annotations

import importlib

from notify.commands import Command

# Modules that register commands, message kinds or bare-number answerers when imported.
MODULES = (
    "notify.inbound",  # STOP, START, HELP
    "notify.replies",  # bare-number replies
)

# The keyword-matching order of today, by the module that handles each command. Commands a
# feature declares register after the legacy ones (which register on import), so until every
# feature declares its own, the registry is put back in this order after install.
ORDER = (
    "notify.inbound",
    "notify.replies",
    "services.work_orders.commands",
    "services.visits.commands",
    "services.wishes.commands",
)


def load() -> None:
    """Import the modules that register commands, message kinds and reply answerers."""
    for name in MODULES:
        importlib.import_module(name)


def keep_order(registry: list[Command]) -> None:
    """Sort the command registry into ORDER (stable; commands of other modules go last)."""
    rank = {name: i for i, name in enumerate(ORDER)}
    registry.sort(key=lambda c: rank.get(getattr(c.handler, "__module__", ""), len(ORDER)))
