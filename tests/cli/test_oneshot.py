"""A command that ends its process runs without the cyclic garbage collector and leaves its heap frozen."""

import gc

import pytest

from cli.oneshot import one_shot


@pytest.fixture(autouse=True)
def _unfrozen():
    """Give the test process its collector back whatever the test did."""
    yield
    gc.unfreeze()
    gc.enable()


def test_the_collector_is_off_during_the_command_and_what_it_holds_is_frozen_after():
    gc.unfreeze()
    with one_shot():
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() > 0


def test_a_command_that_fails_gives_the_collector_back():
    with pytest.raises(RuntimeError), one_shot():
        raise RuntimeError("no decision")
    assert gc.isenabled()
