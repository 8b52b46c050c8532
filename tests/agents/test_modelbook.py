"""The model book reads each trained model on its first use, at the version resolved when it was opened."""

from agents.modelbook import MODEL_NAMES, load_all
from tools import forecast, late_risk, maintenance, registry


def test_models_load_on_first_use_at_the_versions_resolved_when_opened(trained_dir):
    models_dir = trained_dir / "models"
    book = load_all(models_dir)
    latest = {name: registry.resolve(models_dir, name)[0].version for name in MODEL_NAMES}
    assert book.versions() == latest
    assert not book._loaded
    assert book.demand is book.demand and book.demand.version == latest[forecast.MODEL_NAME]
    assert set(book._loaded) == {forecast.MODEL_NAME}
    assert book.late.version == latest[late_risk.MODEL_NAME]
    assert book.fleet.version == latest[maintenance.MODEL_NAME]
    assert set(book._loaded) == set(MODEL_NAMES)


def test_a_missing_model_fails_when_the_book_opens(tmp_path):
    try:
        load_all(tmp_path / "models")
    except registry.ModelNotFound as error:
        assert "yardmaster train" in str(error)
    else:
        raise AssertionError("opening a book without trained models must fail")
