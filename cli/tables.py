"""Tables the CLI prints: boxed on a terminal, tab-separated when piped, so no column is ever cut."""

import sys
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

PIPED_WIDTH = 240  # columns of a report written to a pipe or a file


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None, empty: str | None = None
) -> None:
    """A table on standard output: a rich table on a terminal (cells fold, never cut), else one tab-separated line
    per row under a header line; with no row, the `empty` sentence says why instead."""
    if not rows and empty:
        print(empty)
        return
    if not sys.stdout.isatty():
        for line in (headers, *rows):
            print("\t".join(str(cell) for cell in line))
        return
    table = Table(*headers, title=title)
    for column in table.columns:
        column.overflow = "fold"
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    Console().print(table)


def report_console() -> Console:
    """A console for the reports that print several tables (simulate, demo): the terminal's width, or 240 columns when
    written to a pipe or a file, so no cell is cut to an ellipsis."""
    return Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
