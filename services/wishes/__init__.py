"""Micro-wishes: the problem wall, the echo wall, claims, ratings and escalation."""
