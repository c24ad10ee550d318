"""Signing in: one-time codes by SMS, server-side sessions, linking a Telegram chat."""
