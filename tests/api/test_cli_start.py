"""The command line starts light: `--help` and each command load only the libraries that command uses."""

import json
import os
import subprocess
import sys

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
    "chat.graph",
)


def loaded_modules(code: str, **environment: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **environment}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def run_cli(*args: str) -> str:
    """Code that runs the `yardmaster` app with arguments and swallows its exit."""
    return f"from api.cli import app\ntry:\n    app({list(args)!r})\nexcept SystemExit:\n    pass"


def test_help_loads_no_database_model_or_llm_library():
    for args in (["--help"], ["seed", "--help"], ["handle", "--help"], ["bench", "--help"]):
        loaded = loaded_modules(run_cli(*args))
        assert "typer" in loaded
        assert not loaded & set(HEAVY_FOR_HELP), (args, sorted(loaded & set(HEAVY_FOR_HELP)))


def test_deciding_offline_loads_no_openai_stack_training_or_chat(tmp_path):
    code = (
        "from agents.llm import make_chat_model\nfrom agents.schemas import ExceptionIn\n"
        "from graph.desk import open_desk\nmake_chat_model()"
    )
    loaded = loaded_modules(code, YM_LLM="offline", YM_DATA_DIR=str(tmp_path))
    assert "graph.desk" in loaded
    for heavy in (
        "langchain_openai",
        "openai",
        "twin.seed",
        "chat.graph",
        "api.cli_chat",
        "langgraph.checkpoint.postgres",
    ):
        assert heavy not in loaded, heavy


def test_the_openai_provider_loads_its_stack_on_demand(tmp_path):
    loaded = loaded_modules("from agents.llm import make_chat_model\nmake_chat_model()", YM_LLM="openai")
    assert "langchain_openai" in loaded
