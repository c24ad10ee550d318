"""Telegram: the Bot API client that sends, its webhook's updates and secret, its errors."""
