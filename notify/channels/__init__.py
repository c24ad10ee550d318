"""One channel per way of reaching a phone or an account."""
