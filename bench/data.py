"""Locating the public benchmark data, with a clear message when it is absent."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from twin.settings import get_settings


class DataMissing(RuntimeError):
    """The public benchmark data folder (or one of its files) is not on this machine."""


def shared_data(*parts: str) -> Path:
    """Path to a file or folder under the shared data directory, or raise DataMissing."""
    path = get_settings().shared_data_dir.joinpath(*parts)
    if not path.exists():
        raise DataMissing(f"benchmark data not found at {path}; set YM_SHARED_DATA_DIR to the public data folder")
    return path


def report(run: Callable[[], BaseModel], as_json: bool, describe: Callable[[Any], list[str]]) -> None:
    """Run a benchmark and print one JSON object (`--json`) or readable lines; skip with a message without data."""
    try:
        result = run()
    except DataMissing as missing:
        typer.echo(str(missing), err=True)
        if as_json:
            typer.echo(json.dumps({"skipped": str(missing)}))
        return
    if as_json:
        typer.echo(result.model_dump_json())
        return
    for line in describe(result):
        typer.echo(line)
