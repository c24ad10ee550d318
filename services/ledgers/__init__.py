"""Ledgers (台账): the records a street office checks, written from the work already recorded."""
