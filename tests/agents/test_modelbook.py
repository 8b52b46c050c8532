"""The model book reads each trained model on its first use, at the versions in force, and switches to a newly
promoted version without a restart while a decision's pinned set keeps the versions it started with."""

import shutil

from sqlmodel import Session

from agents.modelbook import MODEL_NAMES, load_all
from tests.conftest import register_copy
from tools import forecast, late_risk, maintenance, registry
from twin import activations
from twin.db import make_engine, migrate


def test_models_load_on_first_use_at_the_versions_resolved_when_opened(trained_dir):
    models_dir = trained_dir / "models"
    book = load_all(models_dir)
    latest = {name: registry.resolve(models_dir, name)[0].version for name in MODEL_NAMES}
    assert book.versions() == latest
    loaded = book.current()._loaded
    assert not loaded
    assert book.demand is book.demand and book.demand.version == latest[forecast.MODEL_NAME]
    assert set(loaded) == {forecast.MODEL_NAME}
    assert book.late.version == latest[late_risk.MODEL_NAME]
    assert book.fleet.version == latest[maintenance.MODEL_NAME]
    assert set(loaded) == set(MODEL_NAMES)


def test_a_missing_model_fails_when_the_book_opens(tmp_path):
    try:
        load_all(tmp_path / "models")
    except registry.ModelNotFound as error:
        assert "yardmaster train" in str(error)
    else:
        raise AssertionError("opening a book without trained models must fail")


def test_a_promotion_reaches_an_open_book_while_a_pinned_set_keeps_its_versions(trained_dir, empty_url, tmp_path):
    models_dir = tmp_path / "models"
    shutil.copytree(trained_dir / "models", models_dir)
    first = registry.resolve(models_dir, late_risk.MODEL_NAME)[0].version
    second = register_copy(models_dir, late_risk.MODEL_NAME, "second000001")
    engine = make_engine(empty_url)
    migrate(engine)
    with Session(engine) as session:
        activations.promote(session, late_risk.MODEL_NAME, first, "ana", in_force=second)
        session.commit()
    book = load_all(models_dir, engine, refresh_s=3600)
    assert book.late.version == first  # promoted, though not the newest
    started = book.pinned()
    with Session(engine) as session:
        activations.promote(session, late_risk.MODEL_NAME, second, "ana", in_force=first)
        session.commit()
    assert book.versions()[late_risk.MODEL_NAME] == first  # looked at most every refresh_s
    book.refresh()
    assert book.late.version == second and book.versions()[late_risk.MODEL_NAME] == second
    assert started.late.version == first and started.versions()[late_risk.MODEL_NAME] == first
    assert book.pinned(started.versions()).late.version == first  # a resumed decision gets its versions back
    engine.dispose()
