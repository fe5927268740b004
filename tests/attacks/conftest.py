"""Fixtures for attack tests: the emulated portals of the portal and web tests."""

from portals.support import first_emulator, portal_server  # noqa: F401
from web.support import shared_emulator  # noqa: F401
