"""`yardmaster models`: the trained versions of each model, and promotions and rollbacks of the one in force."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from agents.model_versions import VersionChange
    from twin.settings import Settings

models_app = typer.Typer(help="Trained models: list, metrics, drift, promote, rollback.", no_args_is_help=True)
console = Console(stderr=True)


@models_app.command("list")
def list_models(as_json: bool = typer.Option(False, "--json", help="Print one JSON array.")) -> None:
    """Every model's trained versions with their training date and metrics; `*` marks the one decisions use."""
    from agents import model_versions
    from cli.tables import print_table
    from twin.db import session_scope

    settings, engine = _settings_and_engine()
    with session_scope(engine) as session:
        entries = model_versions.catalogue(session, settings.models_dir)
    engine.dispose()
    if as_json:
        typer.echo(json.dumps([entry.model_dump(mode="json") for entry in entries], indent=2))
        return
    print_table(
        ["model", "version", "active", "trained", "metrics"],
        [
            [
                entry.name,
                version.version,
                "*" if version.active else "",
                f"{version.trained_at:%Y-%m-%d %H:%M}",
                " ".join(f"{key}={value:.4g}" for key, value in sorted(version.metrics.items())),
            ]
            for entry in entries
            for version in entry.versions
        ],
    )


@models_app.command("drift")
def drift(
    name: str = typer.Argument(..., help="The model, e.g. xgb-late-risk."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """PSI of each feature of the version in force between training and recent scoring; drifted features marked."""
    from datetime import UTC, datetime

    from agents.model_drift import NoReference, model_drift
    from agents.modelbook import MODEL_NAMES, load_all
    from cli.tables import print_table
    from twin import store
    from twin.db import session_scope

    if name not in MODEL_NAMES:
        console.print(f"error: unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")
        raise typer.Exit(2)
    settings, engine = _settings_and_engine()
    try:
        models = load_all(settings.models_dir, engine).pinned()
        with session_scope(engine) as session:
            now = store.as_of(session) or datetime.now(UTC)
            report = model_drift(session, models, name, now, settings.drift_window_days, settings.drift_psi_threshold)
    except NoReference as error:
        console.print(f"error: {error.args[0]}")
        raise typer.Exit(2) from error
    finally:
        engine.dispose()
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    print_table(
        ["feature", "psi", "drifted"],
        [[f.feature, f"{f.psi:.4f}", "*" if f.drifted else ""] for f in report.features],
        title=f"{report.model}@{report.version}: {report.rows} rows, threshold {report.threshold:g}",
    )


@models_app.command("metrics")
def metrics(
    name: str | None = typer.Argument(None, help="The model, e.g. xgb-late-risk (all models when left out)."),
    as_json: bool = typer.Option(False, "--json", help="Print the history as JSON."),
) -> None:
    """Each model's monitoring history: drift and performance per twin day, with the limits crossed."""
    from agents import model_versions
    from agents.modelbook import MODEL_NAMES
    from cli.tables import print_table
    from twin.db import session_scope

    if name is not None and name not in MODEL_NAMES:
        console.print(f"error: unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")
        raise typer.Exit(2)
    settings, engine = _settings_and_engine()
    with session_scope(engine) as session:
        names = [name] if name else list(MODEL_NAMES)
        found = [model_versions.monitoring_history(session, settings.models_dir, one) for one in names]
    engine.dispose()
    if as_json:
        typer.echo(json.dumps([one.model_dump(mode="json") for one in found], indent=2))
        return
    print_table(
        ["model", "version", "day", "kind", "rows", "metrics", "breaches"],
        [
            [
                one.name,
                run.version,
                run.day.isoformat(),
                run.kind,
                str(run.rows),
                " ".join(
                    f"{key}={value:.4g}" for key, value in sorted(run.metrics.items()) if run.kind == "performance"
                )
                or f"max PSI {max(run.metrics.values(), default=0.0):.4g}",
                "; ".join(run.breaches),
            ]
            for one in found
            for run in sorted([*one.drift, *one.performance], key=lambda run: (run.measured_at, run.kind))
        ],
    )


@models_app.command("promote")
def promote(
    name: str = typer.Argument(..., help="The model, e.g. xgb-late-risk."),
    version: str = typer.Argument(..., help="A trained version of it (see `yardmaster models list`)."),
    actor: str = typer.Option("cli", "--actor", help="Who promotes it (recorded)."),
) -> None:
    """Put a trained version in force; running servers and workers use it for new decisions within seconds."""
    from agents import model_versions

    _change(lambda session, models_dir: model_versions.promote(session, models_dir, name, version, actor))


@models_app.command("rollback")
def rollback(
    name: str = typer.Argument(..., help="The model, e.g. xgb-late-risk."),
    actor: str = typer.Option("cli", "--actor", help="Who rolls it back (recorded)."),
) -> None:
    """Put back the version that was in force before the current one."""
    from agents import model_versions

    _change(lambda session, models_dir: model_versions.rollback(session, models_dir, name, actor))


def _settings_and_engine() -> tuple["Settings", "Engine"]:
    """The settings and the migrated database engine."""
    from twin.db import make_engine, migrate
    from twin.settings import get_settings

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    return settings, engine


def _change(change: Callable[["Session", Path], "VersionChange"]) -> None:
    """Make a change of the version in force and print it; a bad name or version, or nothing to roll back to,
    exits with 2 and says which."""
    from agents.model_versions import UnknownModel, UnknownVersion
    from twin.activations import NoPreviousVersion
    from twin.db import session_scope

    settings, engine = _settings_and_engine()
    try:
        with session_scope(engine) as session:
            made = change(session, settings.models_dir)
    except (UnknownModel, UnknownVersion, NoPreviousVersion) as error:
        console.print(f"error: {error.args[0]}")
        raise typer.Exit(2) from error
    finally:
        engine.dispose()
    console.print(f"{made.name}: {made.from_version or '-'} -> {made.to_version} ({made.kind} by {made.actor})")
