"""Tests of the offline MiniLM embedding function."""

import numpy as np
import pytest
from chromadb.utils.embedding_functions import config_to_embedding_function

from tools import embeddings
from tools.embeddings import DIMENSIONS, MiniLMEmbeddingFunction, embed

SENTENCES = [
    "The truck from Dallas to Houston is running two hours late.",
    "Forklift 3 is overheating.",
    "A much longer sentence about a carrier that rejected our load tender for tomorrow's pickup at DC-ATL.",
]


def test_vectors_are_384_dims_unit_length_float32():
    vectors = embed(SENTENCES)
    assert vectors.shape == (3, DIMENSIONS) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_input_gives_no_rows():
    assert embed([]).shape == (0, DIMENSIONS)


def test_batch_keeps_order_and_matches_one_at_a_time():
    batch = embed(SENTENCES)
    single = np.vstack([embed([sentence]) for sentence in SENTENCES])
    np.testing.assert_allclose(batch, single, atol=1e-5)


def test_texts_are_truncated_at_256_tokens():
    long_text = " ".join(["delivery"] * 300)
    np.testing.assert_allclose(embed([long_text]), embed([long_text + " forklift overheating engine"]), atol=1e-6)


def test_paraphrase_is_nearer_than_an_unrelated_sentence():
    late, paraphrase, unrelated = embed(
        ["The shipment will arrive late.", "The delivery is delayed.", "Forklift hydraulic fluid is leaking."]
    )
    assert late @ paraphrase > late @ unrelated + 0.2


def test_model_loads_once_per_process():
    embed(["first"])
    embed(["second"])
    assert embeddings._load.cache_info().misses == 1


def test_registered_function_rebuilds_from_its_config():
    function = MiniLMEmbeddingFunction()
    rebuilt = config_to_embedding_function({"name": function.name(), "config": function.get_config()})
    assert isinstance(rebuilt, MiniLMEmbeddingFunction)
    assert rebuilt.default_space() == "cosine" and not rebuilt.is_legacy()
    np.testing.assert_allclose(rebuilt(["a late truck"])[0], function(["a late truck"])[0])


def test_config_of_another_model_is_rejected():
    with pytest.raises(ValueError, match="all-MiniLM-L6-v2-int8"):
        MiniLMEmbeddingFunction.build_from_config({"model": "another-model"})
