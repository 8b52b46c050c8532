"""The memory of a serving process (API server or queue worker), trimmed before anything loads: XGBoost imported
for prediction only (without the scikit-learn and SciPy its estimator classes pull in), few malloc arenas however
many threads answer requests, and large blocks handed back to the system when freed."""

import ctypes
import ctypes.util
import logging

from tools.boosting import import_for_prediction

logger = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameters
M_ARENA_MAX = -8
ARENAS = 2  # glibc's default is eight per core: threads that each keep freed memory of their own
# Blocks from this size up are mapped on their own and unmapped when freed. glibc's default threshold rises to the
# largest block freed so far: once the embedding model's load frees its transient weight copies, later blocks of up
# to that size come from the heap, whose freed holes the process keeps (about 60 MB after the model loads, and 20 MB
# more for a moment at each embedding). A fixed threshold keeps glibc from raising it.
MMAP_THRESHOLD = 1024 * 1024


def trim() -> None:
    """Import XGBoost for prediction only, cap glibc's malloc arenas and fix its mmap threshold (no-ops on other C
    libraries)."""
    import_for_prediction()
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is None or not hasattr(libc, "mallopt"):
        logger.info("malloc left as it is (no glibc mallopt)")
        return
    for parameter, value in ((M_ARENA_MAX, ARENAS), (M_MMAP_THRESHOLD, MMAP_THRESHOLD)):
        if not libc.mallopt(parameter, value):
            logger.info("malloc parameter %s left as it is (mallopt refused %s)", parameter, value)
