"""Processing of inbox rows in the `events` queue.

The job function lives with the CRM sync, which applies the events to the local
mirror. This module keeps the path `b24app.events.processing.process_inbox`,
which the inbox and the sweeper enqueue.
"""

from b24app.sync.inbox import process_inbox

__all__ = ["process_inbox"]
