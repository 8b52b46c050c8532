"""The LangGraph orchestration: state, nodes, edges, interrupts and checkpointer."""
