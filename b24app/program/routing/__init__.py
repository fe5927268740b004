"""The application routing engine; see `engine.route_application`."""

from b24app.program.routing.engine import replay_decision, route_application
from b24app.program.routing.request import (
    ApplicationRequest,
    ReplayResult,
    RoutingOutcome,
)

__all__ = [
    "ApplicationRequest",
    "ReplayResult",
    "RoutingOutcome",
    "replay_decision",
    "route_application",
]
