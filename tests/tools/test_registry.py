"""Tests of the model registry."""

import pandas as pd
import pytest

from tools import registry


def _write(text: str):
    return lambda folder: (folder / "model.txt").write_text(text)


def test_save_and_resolve_latest_and_named(tmp_path):
    frame = pd.DataFrame({"x": [1, 2, 3]})
    first = registry.save(
        tmp_path, "demo", _write("a"), data_hash=registry.frame_hash(frame), features=["x"], metrics={"auc": 0.9}
    )
    second = registry.save(tmp_path, "demo", _write("b"), data_hash="other", features=["x"], metrics={"auc": 0.95})
    meta, folder = registry.resolve(tmp_path, "demo")
    assert meta.version == second.version
    assert (folder / "model.txt").read_text() == "b"
    named, named_folder = registry.resolve(tmp_path, "demo", first.version)
    assert named.metrics == {"auc": 0.9} and (named_folder / "model.txt").read_text() == "a"


def test_same_data_and_params_give_the_same_version(tmp_path):
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    data_hash = registry.frame_hash(frame)
    assert data_hash == registry.frame_hash(frame.copy())
    one = registry.save(tmp_path, "m", _write("a"), data_hash=data_hash, features=["x"], metrics={})
    two = registry.save(tmp_path, "m", _write("a"), data_hash=data_hash, features=["x"], metrics={})
    assert one.version == two.version
    assert len(registry.list_versions(tmp_path, "m")) == 1


def test_missing_model_says_how_to_train(tmp_path):
    with pytest.raises(registry.ModelNotFound, match="yardmaster train"):
        registry.resolve(tmp_path, "nothing")


def test_registered_version_of_a_folder(tmp_path):
    meta = registry.save(tmp_path, "demo", _write("a"), data_hash="h", features=[], metrics={})
    assert registry.registered_version(tmp_path / "demo" / meta.version) == meta.version
    assert registry.registered_version(tmp_path) is None
