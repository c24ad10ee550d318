"""Micro-wishes (微心愿) on the problem wall and the echo wall.

Temporary in the visits branch only: the flat services/wishes.py moved here unchanged so that
services/wishes/from_need.py can live in this package; this re-export keeps its callers working.
On merge take the wishes branch's __init__.py (a bare docstring) instead of this one.
"""

from services.wishes.operations import *  # noqa: F403
