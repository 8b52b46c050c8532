"""The command line starts light: `--help` and each command load only the libraries that command uses."""

import json
import os
import subprocess
import sys

from tests.conftest import copy_trained
from twin.settings import PROJECT_ROOT

HEAVY_FOR_HELP = (
    "langchain_openai",
    "openai",
    "twin.seed",
    "twin.models",
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "pandas",
    "xgboost",
    "langgraph",
    "langsmith",
    "chromadb",
    "ortools",
    "pyvrp",
    "chat.graph",
)


def run_python(code: str, **environment: str) -> tuple[str, set[str]]:
    """What a fresh interpreter prints running `code`, and the modules it holds afterwards."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **environment}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, check=True
    )
    printed, _, modules = done.stdout.strip().rpartition("\n")
    return printed, set(json.loads(modules))


def loaded_modules(code: str, **environment: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    return run_python(code, **environment)[1]


def run_cli(*args: str) -> str:
    """Code that runs the `yardmaster` app with arguments and swallows its exit."""
    return f"from cli.main import app\ntry:\n    app({list(args)!r})\nexcept SystemExit:\n    pass"


def test_importing_the_command_line_loads_no_knowledge_base_model_or_migration_library():
    assert not loaded_modules("import cli.main") & set(HEAVY_FOR_HELP)


def test_help_loads_no_database_model_or_llm_library():
    for args in (["--help"], ["seed", "--help"], ["handle", "--help"], ["bench", "--help"]):
        loaded = loaded_modules(run_cli(*args))
        assert "typer" in loaded
        assert not loaded & set(HEAVY_FOR_HELP), (args, sorted(loaded & set(HEAVY_FOR_HELP)))


def test_deciding_offline_loads_no_openai_stack_training_or_chat(tmp_path):
    code = (
        "from agents.llm import make_chat_model\nfrom agents.schemas import ExceptionIn\n"
        "from graph.desk import open_desk\nfrom twin.settings import Settings\nmake_chat_model(Settings())"
    )
    loaded = loaded_modules(code, YM_LLM="offline", YM_DATA_DIR=str(tmp_path))
    assert "graph.desk" in loaded
    for heavy in (
        "langchain_openai",
        "openai",
        "twin.seed",
        "chat.graph",
        "cli.chat",
        "langgraph.checkpoint.postgres",
    ):
        assert heavy not in loaded, heavy


def test_the_openai_provider_loads_its_stack_on_demand(tmp_path):
    code = "from agents.llm import make_chat_model\nfrom twin.settings import Settings\nmake_chat_model(Settings())"
    loaded = loaded_modules(code, YM_LLM="openai")
    assert "langchain_openai" in loaded


def _handled(databases, trained_dir, tmp_path, exception: dict) -> tuple[str, set[str]]:
    """What `yardmaster handle` printed for one exception on a seeded twin, and the modules it loaded."""
    copy_trained(trained_dir, tmp_path)
    report = tmp_path / "exception.json"
    report.write_text(json.dumps(exception))
    environment = {"YM_LLM": "offline", "YM_DATA_DIR": str(tmp_path), "YM_DATABASE_URL": databases.seeded("sqlite")}
    return run_python(run_cli("handle", str(report)), **environment)


def test_handling_an_exception_loads_xgboost_without_the_training_libraries(databases, trained_dir, tmp_path):
    printed, loaded = _handled(
        databases, trained_dir, tmp_path, {"type": "stockout_risk", "refs": {"sku": "SKU-0042", "location": "DC-DAL"}}
    )
    decision = json.loads(printed)
    assert decision["specialist"] == "inventory" and decision["actions"], decision
    assert {"xgboost", "graph.desk", "chromadb"} <= loaded
    for heavy in ("sklearn", "scipy.stats", "twin.seed", "chat.graph", "langchain_openai", "alembic"):
        assert heavy not in loaded, heavy
    for solver in ("ortools.sat", "ortools.constraint_solver", "pyvrp"):  # the allocation needs only the LP solver
        assert solver not in loaded, solver


def test_a_late_shipment_loads_no_solver_and_no_migration_tool(databases, trained_dir, tmp_path):
    printed, loaded = _handled(
        databases, trained_dir, tmp_path, {"type": "late_shipment", "refs": {"shipment_id": "SHP-009284"}}
    )
    assert json.loads(printed)["specialist"] == "routing"
    assert {"agents.routing", "tools.carriers", "chromadb"} <= loaded
    for unneeded in ("ortools", "pyvrp", "alembic", "agents.capacity", "agents.replan", "agents.inventory"):
        assert unneeded not in loaded, unneeded


def test_handling_an_exception_loads_only_its_own_specialist(databases, trained_dir, tmp_path):
    printed, loaded = _handled(
        databases, trained_dir, tmp_path, {"type": "carrier_capacity", "refs": {"carrier": "CAR-REDRIVER"}}
    )
    assert json.loads(printed)["specialist"] == "routing"
    assert "agents.capacity" in loaded
    for unneeded in (
        "agents.inventory",
        "agents.maintenance",
        "agents.detectors",
        "agents.replan",
        "ortools.linear_solver.pywraplp",
        "pyvrp",
    ):
        assert unneeded not in loaded, unneeded
