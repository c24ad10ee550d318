"""Roster and areas: places, households, residents, posts, partner units, who sees what."""
