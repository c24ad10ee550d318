"""Broadcasts: mobilise volunteers ("reply 1 to join"), inform the residents a policy concerns."""
