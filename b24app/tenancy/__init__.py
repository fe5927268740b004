"""Portals (tenants): the installation record, token encryption and portal scoping."""
