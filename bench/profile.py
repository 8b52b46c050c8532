"""Where a decision's time goes: sampled call stacks split into the deterministic tools, the graph machinery, storage
(the database and the checkpointer) and the rest (specialists' own logic, explanation, validation)."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

from pydantic import BaseModel
from pyinstrument import Profiler

from twin.settings import PROJECT_ROOT

Part = Literal["tool", "graph", "storage", "other"]
ROOT = f"{PROJECT_ROOT}/"
STORAGE_LIBRARIES = ("/sqlalchemy/", "/sqlmodel/", "/sqlite3/", "/psycopg/", "/psycopg_pool/", "/langgraph/checkpoint/")
GRAPH_LIBRARIES = ("/langgraph/", "/langchain_core/runnables/")
SAMPLE_INTERVAL_S = 0.0005


class Split(BaseModel):
    """Seconds of one or more decisions by part; the parts add up to the sampled whole."""

    tool: float = 0.0
    graph: float = 0.0
    storage: float = 0.0
    other: float = 0.0

    def whole(self) -> float:
        """All sampled seconds."""
        return self.tool + self.graph + self.storage + self.other

    def plus(self, other: "Split") -> "Split":
        """The sum of two splits."""
        return Split(
            tool=self.tool + other.tool,
            graph=self.graph + other.graph,
            storage=self.storage + other.storage,
            other=self.other + other.other,
        )

    def scaled(self, factor: float) -> "Split":
        """Every part times `factor` (a mean from a sum)."""
        return Split(
            tool=self.tool * factor,
            graph=self.graph * factor,
            storage=self.storage * factor,
            other=self.other * factor,
        )


def _ours(path: str) -> bool:
    """Whether a source file is the project's own (not an installed library)."""
    return path.startswith(ROOT) and "site-packages" not in path


def part_of(paths: Sequence[str]) -> Part:
    """The part one sampled stack (source files, outermost first) belongs to: anything under `tools/` is tool work
    (its database reads included); else database and checkpointer code is storage; else the graph package's own code
    and LangGraph's machinery are the graph; the rest (specialists, explanation, the twin's frames) is other."""
    if any(_ours(path) and path.startswith(f"{ROOT}tools/") for path in paths):
        return "tool"
    if any(library in path for path in paths for library in STORAGE_LIBRARIES):
        return "storage"
    innermost = next((path for path in reversed(paths) if _ours(path)), None)
    if innermost is not None:
        return "graph" if innermost.startswith(f"{ROOT}graph/") else "other"
    return "graph" if any(library in path for path in paths for library in GRAPH_LIBRARIES) else "other"


@contextmanager
def sampled() -> Iterator[list[Split]]:
    """Sample the calling thread's stacks while the block runs; the yielded list holds its split afterwards."""
    profiler = Profiler(interval=SAMPLE_INTERVAL_S)
    found: list[Split] = []
    profiler.start()
    try:
        yield found
    finally:
        session = profiler.stop()
        found.append(split(session.frame_records))


def split(records: Sequence[tuple[Sequence[str], float]]) -> Split:
    """The split of sampled frame records (each a stack of pyinstrument frame identifiers and its seconds)."""
    parts: dict[Part, float] = {"tool": 0.0, "graph": 0.0, "storage": 0.0, "other": 0.0}
    for stack, seconds in records:
        parts[part_of([_path(frame) for frame in stack])] += seconds
    return Split(**parts)


def _path(frame: str) -> str:
    """The source file of a pyinstrument frame identifier (function, file and line, separated by NUL)."""
    _function, _, rest = frame.partition("\x00")
    return rest.partition("\x00")[0]
