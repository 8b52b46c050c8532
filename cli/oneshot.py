"""Commands that end their process: the cyclic garbage collector kept out of a cold start's way."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def one_shot() -> Iterator[None]:
    """Run a command that ends its process with the cyclic garbage collector off, then freeze what it holds: the
    collector would scan the growing heap of the libraries it imports again and again, and all of it once more at exit
    (together seconds of a cold start), while one command leaves little cyclic garbage."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
