"""Mediation (矛盾调解): disputes taken up by a grid's mediators, kept from every other eye."""
