"""Delivery transports for outgoing messages (HTTP FHIR endpoints); see ``http``."""
