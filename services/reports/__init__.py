"""Observers' reports (民情观察员) and property matters (物业) on the needs list."""
