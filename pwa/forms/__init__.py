"""Form classes: each feature's input parsed and checked before its services see it."""
