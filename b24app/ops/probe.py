"""A no-op job that proves the path from enqueue through a worker works."""

import logging

log = logging.getLogger(__name__)


def probe(note: str = "") -> str:
    """Log one line and return "ok"; enqueued by `b24app ops probe`."""
    log.info("probe job ran: %s", note or "no note")
    return "ok"
