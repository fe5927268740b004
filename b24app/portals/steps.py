"""Install steps: setup that other parts of the app run in each portal at install.

A part of the app that needs something in the portal (a pipeline, a custom field)
registers a step once at import time:

    register_install_step("program.pipelines", ensure_pipelines)

`ensure_pipelines(portal, client)` must be idempotent, because it runs again on
every reinstall and every app update, and it raises to fail the install. The
install page runs every step, in registration order, before it calls
`BX24.installFinish()`.
"""

import logging
from collections.abc import Callable
from typing import Any

from b24app.tenancy.models import Portal

log = logging.getLogger(__name__)

InstallStep = Callable[[Portal, Any], None]

_steps: dict[str, InstallStep] = {}


def register_install_step(name: str, func: InstallStep) -> None:
    """Add `func(portal, client)` to the steps every install runs.

    Registering the same name again replaces the earlier function, so a module
    imported twice does not run its step twice.
    """
    if not name:
        raise ValueError("an install step needs a name")
    _steps[name] = func


def unregister_install_step(name: str) -> None:
    """Remove a step; unknown names are ignored."""
    _steps.pop(name, None)


def install_steps() -> list[tuple[str, InstallStep]]:
    """Return the registered steps in registration order."""
    return list(_steps.items())


class InstallStepError(Exception):
    """An install step raised; `step` names it, `__cause__` holds the error."""

    def __init__(self, step: str) -> None:
        super().__init__(f"install step {step!r} failed")
        self.step = step


def run_install_steps(portal: Portal, client: Any) -> list[str]:
    """Run every registered step for `portal`; return the names that ran.

    Raises InstallStepError at the first step that fails, so the install stops
    there and the admin sees which step it was.
    """
    done = []
    for name, func in install_steps():
        log.info("portal %s: running install step %s", portal.id, name)
        try:
            func(portal, client)
        except Exception as error:
            log.exception(
                "portal %s: install step %s failed: %s",
                portal.id,
                name,
                type(error).__name__,
            )
            raise InstallStepError(name) from error
        done.append(name)

    return done
