"""Operator-facing services: accounts and roles, the audit chain, device credentials, alarm handling."""
