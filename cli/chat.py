"""`yardmaster chat`: a conversation with the desk in the terminal, answers streamed, tool steps shown dimmed."""

import json
import sys
from collections.abc import Iterable

import typer
from rich.console import Console
from rich.text import Text

from twin.roles import Role

EXIT_WORDS = ("exit", "quit")
MAX_RESULT_CHARS = 160


def _shorten(value: object) -> str:
    """A tool's arguments or result on one line, cut to a readable length."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "), default=str)
    return text if len(text) <= MAX_RESULT_CHARS else text[:MAX_RESULT_CHARS] + " …"


def _render(console: Console, events: Iterable) -> None:
    """Print one turn: the answer as it streams, each tool step on its own dimmed line, errors in red."""
    mid_line, streamed = False, False
    for event in events:
        if event.event == "token":
            if not mid_line:
                console.print(Text("desk> ", style="bold green"), end="")
            console.print(Text(event.text), end="")
            mid_line = streamed = True
            continue
        if mid_line:
            console.print()
            mid_line = False
        if event.event == "tool_call":
            console.print(Text(f"  → {event.name}({_shorten(event.args)})", style="dim"))
        elif event.event == "tool_result":
            console.print(Text(f"  {'←' if event.ok else '✗'} {event.name}: {_shorten(event.result)}", style="dim"))
        elif event.event == "final" and not streamed:
            console.print(Text("desk> ", style="bold green"), Text(event.answer))
        elif event.event == "error":
            console.print(Text(f"error: {event.message}", style="red"))
    if mid_line:
        console.print()


def chat(
    thread: str = typer.Option(None, "--thread", help="Continue this conversation (a new one when absent)."),
    role: Role = typer.Option("admin", "--role", help="Act with this role (approvals need planner or admin)."),
) -> None:
    """Talk to the desk: ask about risks, forecasts, the fleet and decisions, run what-ifs, approve or report.
    Reads one message per line until end of input or `exit`."""
    from agents.modelbook import trained
    from chat.graph import build_chat_graph, chat_events, new_thread_id
    from graph.desk import open_desk
    from twin.settings import get_settings

    console = Console(highlight=False)
    settings = get_settings()
    if not trained(settings.models_dir):
        console.print("error: no trained models; run `yardmaster train` first", style="red")
        raise typer.Exit(1)
    thread_id = thread or new_thread_id()
    with open_desk(settings) as desk:
        graph = build_chat_graph(desk, role, "cli")
        console.print(Text(f"thread {thread_id} — type exit to leave", style="dim"))
        while True:
            try:
                line = console.input("[bold cyan]you>[/] ").strip()
            except EOFError:
                break
            if not sys.stdin.isatty():
                console.print(Text(line))  # piped input is not echoed: show it, so the transcript reads as a dialogue
            if line.lower() in EXIT_WORDS:
                break
            if not line:
                continue
            _render(console, chat_events(graph, line, thread_id, owner="cli", max_turns=settings.chat_max_turns))
        desk.toolbox.engine.dispose()
