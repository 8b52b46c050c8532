"""A serving process's malloc: a large block freed goes back to the system, however large the blocks freed before."""

import ctypes
import ctypes.util
import os
import subprocess
import sys

import pytest

from twin.settings import PROJECT_ROOT

MAPPED_AFTER_A_LARGER_FREE = """
import ctypes, ctypes.util, sys


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


if sys.argv[1] == "trimmed":
    from worker.footprint import trim
    trim()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
libc.free(libc.malloc(16 << 20))  # a large transient block, as the embedding model's load frees
before = libc.mallinfo2().hblkhd
block = libc.malloc(8 << 20)
print(libc.mallinfo2().hblkhd - before)
libc.free(block)
"""


def mapped_bytes(mode: str) -> int:
    """Bytes mapped on their own for an 8 MiB block allocated after a 16 MiB one was freed, in a new process."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", MAPPED_AFTER_A_LARGER_FREE, mode],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        check=True,
    )
    return int(done.stdout)


@pytest.mark.skipif(
    not hasattr(ctypes.CDLL(ctypes.util.find_library("c")), "mallinfo2"), reason="glibc 2.33 or later only"
)
def test_a_block_allocated_after_a_larger_free_is_mapped_on_its_own_and_so_returned_when_freed():
    assert mapped_bytes("default") == 0  # glibc alone raised its threshold: the block came from the heap
    assert mapped_bytes("trimmed") >= 8 << 20
