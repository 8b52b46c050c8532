"""`yardmaster keys`: create, list and revoke API keys on the configured database."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from twin.roles import Role

if TYPE_CHECKING:
    from sqlmodel import Session

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
console = Console(stderr=True)


@contextmanager
def _session() -> Iterator["Session"]:
    """A committed session on the configured database, migrated to the latest schema."""
    from twin.db import make_engine, migrate, session_scope
    from twin.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url)
    migrate(engine)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


@keys_app.command()
def create(
    role: Role = typer.Option(..., "--role", help="What the key may do."),
    name: str = typer.Option(None, "--name", help="Who or what holds the key (recorded as the actor)."),
) -> None:
    """Create a key and print it alone on the last line; it is shown only this once."""
    from twin import access

    with _session() as session:
        issued = access.create_key(session, role, name)
    console.print(f"created key {issued.id} ({issued.name}, {issued.role}); store it now, it is not shown again:")
    typer.echo(issued.key)


@keys_app.command("list")
def list_keys(as_json: bool = typer.Option(False, "--json", help="Print one JSON array.")) -> None:
    """List every key (id, name, role, created, revoked); never the keys themselves."""
    from cli.tables import print_table
    from twin import access

    with _session() as session:
        keys = access.list_keys(session)
    if as_json:
        typer.echo(json.dumps([key.model_dump(mode="json") for key in keys]))
        return
    rows = [
        [
            key.id,
            key.name,
            key.role,
            f"{key.created_at:%Y-%m-%d %H:%M}",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        ]
        for key in keys
    ]
    print_table(["id", "name", "role", "created", "revoked"], rows)


@keys_app.command()
def revoke(key_id: str = typer.Argument(..., help="The key's id (the 8 hex characters after `ym_`).")) -> None:
    """Revoke a key: it is refused from now on."""
    from twin import access

    with _session() as session:
        try:
            info = access.revoke_key(session, key_id)
        except LookupError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"revoked key {info.id} ({info.name})")
