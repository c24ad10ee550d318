"""Twilio: SMS sending through the SDK, its webhooks (inbound SMS, status callbacks), its codes."""
