"""The per-building tallies the street's pages add up (models/tallies.py), kept by the writes.

Every write that changes who lives in a building or who was visited in a month calls one of
the functions in `operations` in the same transaction: a household added (one by one or by
import), moved out, moved back; a household's first visit of a month. `rebuild` counts them
again from the records (the migration's backfill, `flask tallies rebuild`, the demo).
"""
