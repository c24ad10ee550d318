"""Load every feature's inbound commands and message kinds, in the web and worker processes."""

from __future__ import annotations


def load() -> None:
    """Import the modules that register commands, message kinds and reply answerers."""
    import notify.inbound
    import notify.replies  # noqa: F401  bare-number replies
    # Features add one import line each below.
