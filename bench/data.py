"""Locating the public benchmark data, with a clear message when it is absent."""

from pathlib import Path

from twin.settings import get_settings


class DataMissing(RuntimeError):
    """The public benchmark data folder (or one of its files) is not on this machine."""


def shared_data(*parts: str) -> Path:
    """Path to a file or folder under the shared data directory, or raise DataMissing."""
    path = get_settings().shared_data_dir.joinpath(*parts)
    if not path.exists():
        raise DataMissing(f"benchmark data not found at {path}; set YM_SHARED_DATA_DIR to the public data folder")
    return path
