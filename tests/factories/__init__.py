"""Factories for the domain's records, made through the real services."""
