"""Run a sync in this process and SIGKILL it at a known request.

Started by tests as `python sync_child.py PORTAL SCOPE METHOD COUNT` with the
settings in the environment. SCOPE is a university id, or `full` for a full
sync of the portal. The process kills itself with SIGKILL right
after the COUNT-th successful request to METHOD has returned, before its rows
are stored, so the committed checkpoint is the same on every run however busy
the machine is.
"""

import os
import signal
import sys

from b24app import create_app
from b24app.sync.client import add_request_listener
from b24app.sync.fullsync import start_full_sync
from b24app.sync.university_sync import start_university_sync


def kill_at(method: str, count: int):
    seen = []

    def listener(called: str, outcome: str, seconds: float) -> None:
        if called == method and outcome == "ok":
            seen.append(called)
            if len(seen) == count:
                os.kill(os.getpid(), signal.SIGKILL)

    return listener


def main() -> None:
    portal_id, scope, method, count = sys.argv[1:5]
    add_request_listener(kill_at(method, int(count)))
    with create_app().app_context():
        if scope == "full":
            start_full_sync(int(portal_id), run_now=True)
        else:
            start_university_sync(int(portal_id), int(scope), run_now=True)


if __name__ == "__main__":
    main()
