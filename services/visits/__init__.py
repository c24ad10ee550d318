"""Monthly home visits (走访): logging them, the households to visit, coverage and reminders."""
