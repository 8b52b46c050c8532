"""The memory of a serving process (API server or queue worker), trimmed before anything loads: XGBoost imported
for prediction only (without the scikit-learn and SciPy its estimator classes pull in), and few malloc arenas
however many threads answer requests."""

import ctypes
import ctypes.util
import logging

from tools.boosting import import_for_prediction

logger = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's mallopt parameter
ARENAS = 2  # glibc's default is eight per core: threads that each keep freed memory of their own


def trim() -> None:
    """Import XGBoost for prediction only and cap glibc's malloc arenas (a no-op on other C libraries)."""
    import_for_prediction()
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is None or not hasattr(libc, "mallopt") or not libc.mallopt(M_ARENA_MAX, ARENAS):
        logger.info("malloc arenas left as they are (no glibc mallopt)")
