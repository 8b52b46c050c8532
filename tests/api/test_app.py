"""The app's lifespan: its startup heap is left out of garbage collection while it serves."""

import gc

from fastapi.testclient import TestClient

from api.app import create_app, frozen_heap
from twin.settings import Settings


def test_objects_alive_on_entry_are_frozen_until_the_exit():
    """Inside, what was alive is in the permanent generation (a full collection skips it); after, it is collectable."""
    gc.unfreeze()
    with frozen_heap():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_a_serving_app_keeps_its_startup_heap_frozen(empty_url, tmp_path):
    """A started app's heap is frozen while it serves and unfrozen once it shut down."""
    gc.unfreeze()
    with TestClient(create_app(Settings(database_url=empty_url, data_dir=tmp_path))) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
