"""The models the tests use, trained on the seed-7 network with the procedures indexed: built once per run, in the
background from the start (`python -m tests.training FOLDER`) so that the tests without models go on meanwhile."""

import shutil
import subprocess
import sys
from pathlib import Path

from agents import modelbook
from tests import workers
from tools.knowledge import KnowledgeBase, open_client
from twin import seed as scenario
from twin.db import make_engine, migrate
from twin.settings import PROJECT_ROOT, Settings


def trained(shared: Path) -> Path:
    """The folder of trained models and indexed procedures under `shared`, built first when no one has yet; while
    another process builds it, wait for it."""
    folder = shared / "trained"
    with workers.locked(shared / "trained.lock"):
        if not folder.exists():
            building = shared / "training"
            shutil.rmtree(building, ignore_errors=True)  # what a stopped build left
            building.mkdir()
            engine = make_engine(f"sqlite:///{building / 'seed.db'}")
            migrate(engine)
            scenario.load(engine, scenario.generate(7))
            modelbook.train_all(engine, building / "models")
            engine.dispose()
            KnowledgeBase(open_client(Settings(data_dir=building))).index_procedures()
            building.rename(folder)
    return folder


def start(shared: Path) -> subprocess.Popen[bytes] | None:
    """Start building under `shared` in a child process, unless another worker of the run already has."""
    try:
        (shared / "trained.started").touch(exist_ok=False)
    except FileExistsError:
        return None
    with (shared / "training.log").open("wb") as log:
        command = [sys.executable, "-m", "tests.training", str(shared)]
        return subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the build if it still runs (the run ends or was interrupted before it was needed)."""
    if process.poll() is None:
        process.terminate()
    process.wait()


if __name__ == "__main__":
    trained(Path(sys.argv[1]))
