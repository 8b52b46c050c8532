"""Model registry: trained artifacts under `<models_dir>/<name>/<version>/` with their metadata."""

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.core.util.hashing import hash_pandas_object
from pydantic import BaseModel, Field

from tools.drift import FeatureBins

META_FILE = "meta.json"


class ModelMeta(BaseModel):
    """What a trained model was trained on, with what features, and how well it scored."""

    name: str
    version: str
    created_at: datetime
    data_hash: str
    features: list[str] = Field(default_factory=list)
    metrics: dict[str, float] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    reference: dict[str, FeatureBins] = Field(
        default_factory=dict, description="Training distribution of each numeric feature, for drift"
    )


class ModelNotFound(LookupError):
    """No trained artifact for this model name (or version): run `yardmaster train`."""


def frame_hash(frame: pd.DataFrame) -> str:
    """A content hash of a training frame, stable across runs."""
    digest = hashlib.sha256(hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()


def save(
    models_dir: Path,
    name: str,
    write_artifact: Callable[[Path], None],
    *,
    data_hash: str,
    features: list[str],
    metrics: dict[str, float],
    params: dict[str, Any] | None = None,
    reference: dict[str, FeatureBins] | None = None,
) -> ModelMeta:
    """Write an artifact (through `write_artifact(folder)`) and its metadata; the version derives from data and params."""
    params = params or {}
    fingerprint = hashlib.sha256(json.dumps([data_hash, features, params], sort_keys=True, default=str).encode())
    version = fingerprint.hexdigest()[:12]
    folder = models_dir / name / version
    folder.mkdir(parents=True, exist_ok=True)
    write_artifact(folder)
    meta = ModelMeta(
        name=name,
        version=version,
        created_at=datetime.now(UTC),
        data_hash=data_hash,
        features=features,
        metrics=metrics,
        params=params,
        reference=reference or {},
    )
    (folder / META_FILE).write_text(meta.model_dump_json(indent=2))
    return meta


def list_versions(models_dir: Path, name: str) -> list[ModelMeta]:
    """Every saved version of a model, oldest first."""
    metas = [ModelMeta.model_validate_json(path.read_text()) for path in (models_dir / name).glob(f"*/{META_FILE}")]
    return sorted(metas, key=lambda meta: meta.created_at)


def resolve(models_dir: Path, name: str, version: str | None = None) -> tuple[ModelMeta, Path]:
    """The metadata and folder of a named version, or of the latest one."""
    metas = list_versions(models_dir, name)
    if version is not None:
        metas = [meta for meta in metas if meta.version == version]
    if not metas:
        wanted = f"{name}@{version}" if version else name
        raise ModelNotFound(f"no trained model {wanted} under {models_dir}; run `yardmaster train`")
    meta = metas[-1]
    return meta, models_dir / name / meta.version


def registered_version(folder: Path) -> str | None:
    """The registry version of an artifact folder, or None for a folder saved outside the registry."""
    meta = folder / META_FILE
    return ModelMeta.model_validate_json(meta.read_text()).version if meta.exists() else None
