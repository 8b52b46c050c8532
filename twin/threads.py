"""Threads doing work that no request waits for (sweeps, detector passes, precedent indexing, webhook delivery) run at
a lower CPU priority than those answering requests, so that on a busy machine a probe or a poll is not queued behind
them."""

import os
import threading

BACKGROUND_NICENESS = 10


def run_in_background() -> None:
    """Lower the calling thread's CPU priority (Linux schedules each thread on its own; elsewhere a no-op)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
    except (AttributeError, OSError):  # no per-thread priorities here, or not allowed: run as it is
        return
