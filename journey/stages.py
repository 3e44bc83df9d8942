"""Stage discovery and loading stage modules by path.

Stage folders start with digits (``05_decision_tree``), so Python cannot import them as
packages. ``load_stage("05", "from_scratch/decision_tree_numpy.py")`` imports the file by
path, once, and caches it in ``sys.modules`` under a stable name, so that a later stage
(the random forest) reuses the earlier stage's code instead of copying it.
"""

import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from journey.paths import REPO_ROOT

STAGE_PATTERN = re.compile(r"^(\d\d)_[a-z0-9_]+$")


@dataclass(frozen=True)
class Stage:
    """A numbered folder of the journey and what it contains."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def number(self) -> str:
        return self.name[:2]

    @property
    def scratch_scripts(self) -> list[Path]:
        return sorted((self.path / "from_scratch").glob("*.py"))

    @property
    def library_scripts(self) -> list[Path]:
        return sorted((self.path / "library_impl").glob("*.py"))

    @property
    def notebook(self) -> Path | None:
        nb = self.path / "comparison.ipynb"
        return nb if nb.exists() else None

    @property
    def notes(self) -> Path | None:
        notes = self.path / "notes.md"
        return notes if notes.exists() else None

    @property
    def tests(self) -> list[Path]:
        return sorted((REPO_ROOT / "tests").glob(f"test_{self.number}_*.py"))


def list_stages(root: Path = REPO_ROOT) -> list[Stage]:
    """Every stage folder under ``root``, in journey order."""
    return [Stage(p) for p in sorted(root.iterdir()) if p.is_dir() and STAGE_PATTERN.match(p.name)]


def find_stage(key: str, root: Path = REPO_ROOT) -> Stage:
    """Find a stage by number (``"1"``, ``"01"``) or folder name (``"01_linear_regression"``)."""
    stages = list_stages(root)
    key = str(key).strip().rstrip("/")
    number = key.zfill(2) if key.isdigit() else None
    for stage in stages:
        if key == stage.name or number == stage.number:
            return stage
    known = ", ".join(s.name for s in stages) or "none"
    raise LookupError(f"unknown stage {key!r}; known stages: {known}")


def workspace_file(stage_name: str, relative_path: str) -> Path | None:
    """The learner's copy of a lesson file, when ``JOURNEY_WORKSPACE`` asks for it.

    ``JOURNEY_WORKSPACE=workspace`` (relative to the repository root, or absolute) makes
    every stage load the learner's from-scratch files where the workspace has them;
    ``JOURNEY_WORKSPACE_STAGES=01,10`` limits that to some stages (``journey check`` grades
    one stage while the later stages it imports keep the reference).
    """
    workspace = os.environ.get("JOURNEY_WORKSPACE")
    if not workspace or not relative_path.startswith("from_scratch/"):
        return None
    only = os.environ.get("JOURNEY_WORKSPACE_STAGES")
    if only and stage_name[:2] not in only.split(","):
        return None
    root = Path(workspace) if Path(workspace).is_absolute() else REPO_ROOT / workspace
    candidate = root / stage_name / relative_path
    return candidate if candidate.is_file() else None


def implementation_in_use(stage: str, relative_path: str) -> str:
    """One line for a notebook: whose implementation of this lesson file runs."""
    folder = find_stage(stage).path
    learners = workspace_file(folder.name, relative_path)
    if learners:
        return f"using YOUR implementation: {learners}"
    return f"using the reference implementation: {folder.name}/{relative_path}"


def load_stage(stage: str, relative_path: str) -> ModuleType:
    """Import ``<stage folder>/<relative_path>`` as a module and return it.

    >>> tree = load_stage("05", "from_scratch/decision_tree_numpy.py")   # doctest: +SKIP
    >>> tree.DecisionTreeClassifier(max_depth=3)                          # doctest: +SKIP
    """
    folder = find_stage(stage).path
    path = folder / relative_path
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist (stage {folder.name}, file {relative_path!r})"
        )
    prefix = "journey_stage_"
    if learners := workspace_file(folder.name, relative_path):
        path, prefix = learners, "journey_workspace_"
    module_name = prefix + re.sub(
        r"\W", "_", f"{folder.name}/{Path(relative_path).with_suffix('')}"
    )
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module
