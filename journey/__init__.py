"""The small shared toolkit of the ML -> DL Journey.

Nothing here is specific to one stage. Every stage may use:

- ``journey.load_stage``       import a stage module by path (stage folders start with digits)
- ``journey.seed_everything``  one seeding call for Python, NumPy and (if installed) PyTorch
- ``journey.device``           cuda -> mps -> cpu
- ``journey.save_figure``      headless-safe PNGs under ``outputs/NN_topic/``
- ``journey.parity``           one record type for a scratch-vs-library comparison
- ``journey.data``             seeded toy data, scikit-learn's bundled sets, MNIST / CIFAR-10
- ``journey.validation``       NumPy-only input checks with messages that say what to do
- ``journey.gradcheck``        central finite differences and relative errors
- ``journey.progress``         tqdm progress bars: one line when watched, silent in logs and tests
- ``journey.estimator``        scikit-learn's estimator contract for scratch models (NumPy only)
- ``journey.params``           NumPy parameter dicts under PyTorch's names; the load gate
- ``journey.cli``              the flags every deep-learning script shares
- ``journey.timing``           median wall time with ``timeit``

Heavy libraries (torch, scikit-learn, matplotlib) are imported lazily, inside the functions
that need them, so that ``import journey`` stays fast and NumPy-only code can use it.
"""

from journey.paths import OUTPUTS_DIR, REPO_ROOT, is_quick, stage_output_dir
from journey.plotting import save_figure
from journey.progress import progress
from journey.seed import seed_everything
from journey.stages import Stage, find_stage, list_stages, load_stage


def device(preferred: str | None = None):
    """Return the best available ``torch.device``: cuda, then mps, then cpu.

    ``preferred`` ("cuda", "mps", "cpu" or "auto"/None) forces a choice; asking for an
    accelerator that is not there raises a ``RuntimeError`` that says what is available.
    """
    from journey.devices import pick_device

    return pick_device(preferred)


__all__ = [
    "OUTPUTS_DIR",
    "REPO_ROOT",
    "Stage",
    "device",
    "find_stage",
    "is_quick",
    "list_stages",
    "load_stage",
    "progress",
    "save_figure",
    "seed_everything",
    "stage_output_dir",
]
