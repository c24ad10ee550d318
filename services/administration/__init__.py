"""Administrators of a street or a community: setting communities up and their settings."""
