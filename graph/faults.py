"""Fault points: named moments at which a test has the process killed, to prove that work survives a crash."""

import os
import signal

from twin.settings import Settings


def fault_point(settings: Settings, name: str) -> None:
    """SIGKILL this process here when `YM_FAULT_KILL_AT` names this point (off unless set; for tests only)."""
    if settings.fault_kill_at == name:
        os.kill(os.getpid(), signal.SIGKILL)
