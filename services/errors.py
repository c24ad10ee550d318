"""Errors a person can read: every DomainError message is shown to the user as it is."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused an action; the message says why, in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The record does not exist, or lies outside the actor's area (the same answer for both)."""


class RateLimited(DomainError):
    """Too many attempts; try again later."""


class InvalidInput(DomainError):
    """A field's value is malformed."""
