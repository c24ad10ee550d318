"""Patrols (巡逻): routes, recurring shifts, sign-ups, patrols by app/SMS/Telegram, findings."""
