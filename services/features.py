"""Load every feature's inbound commands and message kinds, in the web and worker processes."""

from __future__ import annotations

import importlib

# Modules that register commands, message kinds or bare-number answerers when imported.
MODULES = (
    "notify.inbound",  # STOP, START, HELP
    "notify.replies",  # bare-number replies
    "services.order_commands",  # work orders, mobilisation "1"
)


def load() -> None:
    """Import the modules that register commands, message kinds and reply answerers."""
    for name in MODULES:
        importlib.import_module(name)
