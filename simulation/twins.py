"""Seeded twins built once per seed and copied for each run, so that the runs of a batch (policies by seeds, in one
process or several) generate, load and index each seed's scenario once."""

import pickle
import shutil
from pathlib import Path

from filelock import FileLock

from tools.knowledge import KnowledgeBase, open_client
from twin import seed as scenario
from twin.days import TwinDays
from twin.db import make_engine, migrate
from twin.settings import Settings

DATABASE = "twin.db"
STEPPER = "stepper.pickle"


class SeededTwins:
    """A folder of seeded twins, one per seed: the database with the scenario loaded, the knowledge base with the
    procedures indexed, and the day stepper that continues the scenario."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def copy_into(self, seed: int, folder: Path) -> TwinDays:
        """Copy the seed's twin into `folder` (its database as `twin.db`, its knowledge base where the folder's settings
        look for it); a fresh day stepper that continues it."""
        built = self._built(seed)
        shutil.copy(built / DATABASE, folder / DATABASE)
        shutil.copytree(Settings(data_dir=built).chroma_dir, Settings(data_dir=folder).chroma_dir)
        return pickle.loads((built / STEPPER).read_bytes())

    def _built(self, seed: int) -> Path:
        """The seed's twin, built first when no one has yet (another process building it is waited for)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        built = self.folder / f"seed-{seed}"
        with FileLock(self.folder / f"seed-{seed}.lock"):
            if not built.exists():
                building = self.folder / f"seed-{seed}.building"
                shutil.rmtree(building, ignore_errors=True)  # what a stopped build left
                building.mkdir()
                stepper, rows = TwinDays.generate(seed)
                engine = make_engine(f"sqlite:///{building / DATABASE}")
                migrate(engine)
                scenario.load(engine, rows)
                engine.dispose()
                KnowledgeBase(open_client(Settings(data_dir=building))).index_procedures()
                (building / STEPPER).write_bytes(pickle.dumps(stepper))
                building.rename(built)
        return built
