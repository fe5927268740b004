from portals.support import (  # noqa: F401
    attacker,
    first_emulator,
    portal_server,
    second_emulator,
    second_server,
)
