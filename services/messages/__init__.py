"""Messages: the outbox as staff see it (states, retries, previews) and each person's inbox."""
