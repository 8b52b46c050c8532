"""The desk graph: supervisor, specialists, explanation, policy gate, approval interrupt, execution."""

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from graph import nodes
from graph.state import DeskState

DeskGraph = CompiledStateGraph[DeskState, nodes.DeskRun, DeskState, DeskState]


def build_graph(checkpointer: BaseCheckpointSaver[str] | None = None) -> DeskGraph:
    """Compile the graph; pass the process's one checkpointer so approvals survive a restart."""
    builder = StateGraph(DeskState, context_schema=nodes.DeskRun)
    builder.add_node("classify", nodes.classify_node)
    builder.add_node("supervisor", nodes.supervisor)
    for name in ("routing", "inventory", "maintenance", "governance"):
        builder.add_node(name, nodes.specialist(name))
    builder.add_node("explain", nodes.explain_node)
    builder.add_node("policy", nodes.policy_node)
    builder.add_node("approval", nodes.approval)
    builder.add_node("execute", nodes.execute)
    builder.add_node("finalize", nodes.finalize)
    builder.add_edge(START, "classify")
    builder.add_edge("execute", END)  # execution concludes the decision and stores its precedent: the run ends there
    # The steps run one after another, so one background thread per run writes the checkpoints (in order), rather
    # than a new thread started for most of a run's writes.
    return builder.compile(checkpointer=checkpointer).with_config(max_concurrency=1)
