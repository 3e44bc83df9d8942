"""Plumbing for the torch.distributed scripts: ports, backend checks, torchrun, spawning.

A process group needs every process to agree on a rendezvous point (MASTER_ADDR and
MASTER_PORT), a rank and a world size. ``torchrun --nproc_per_node=N script.py`` sets them in
the environment of each process it starts; ``spawn`` does the same on one machine from
Python (a test, a notebook), on 127.0.0.1 and a free port. The checks turn the usual
failures (a busy port, a backend this build lacks, a batch that does not split) into errors
that say what to do.
"""

import os
import pickle
import socket
import tempfile
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import journey

LOCALHOST = "127.0.0.1"
checks = journey.load_stage("17", "from_scratch/_collective_checks.py")
check_divides = checks.check_divides


def free_port(host: str = LOCALHOST) -> int:
    """A port nobody listens on: bind port 0 and let the operating system pick one."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def check_port_free(port: int, host: str = LOCALHOST) -> None:
    """Raise a RuntimeError that says what to do when ``port`` is already taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise RuntimeError(
                f"port {port} on {host} is already in use ({exc.strerror}): another training "
                "run may still hold it. Pass --master-port 0 to pick a free port, or stop the "
                f"process listening on it (ss -ltnp | grep {port})"
            ) from None


def check_backend(backend: str) -> None:
    """Raise a RuntimeError naming the backends this build has when ``backend`` is missing."""
    if not dist.is_available():
        raise RuntimeError(
            "this PyTorch build has no torch.distributed; install a standard build from pytorch.org"
        )
    if not dist.is_backend_available(backend):
        have = [b for b in ("gloo", "nccl", "mpi", "xccl") if dist.is_backend_available(b)]
        raise RuntimeError(
            f"the {backend!r} backend is not available in this PyTorch build (available: "
            f"{', '.join(have) or 'none'}); use 'gloo' for CPU tensors, 'nccl' for NVIDIA GPUs"
        )


def launched_by_torchrun() -> bool:
    """True inside a process started by torchrun (it sets RANK, WORLD_SIZE, MASTER_ADDR, …)."""
    return all(name in os.environ for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR"))


def init_from_environment(backend: str = "gloo") -> None:
    """Join the process group torchrun describes in the environment (``env://``)."""
    check_backend(backend)
    torch.set_num_threads(1)
    dist.init_process_group(backend, timeout=timedelta(seconds=120))


class StageFunction:
    """A function of a stage file that a spawned process can find again.

    Stage files are imported by path (``journey.load_stage``), so pickle cannot import them
    by module name in a fresh process. This object pickles as "load the stage file, take the
    attribute", which any process with ``journey`` installed can replay.
    """

    def __init__(self, stage: str, path: str, name: str):
        self.stage, self.path, self.name = stage, path, name

    def __reduce__(self):
        return getattr, (_StageModule(self.stage, self.path), self.name)


class _StageModule:
    def __init__(self, stage: str, path: str):
        self.stage, self.path = stage, path

    def __reduce__(self):
        return journey.load_stage, (self.stage, self.path)


def run_rank(rank, world_size, backend, port, target, args, result_path) -> None:
    """One spawned process: join the group, run ``target(*args)``, rank 0 saves its result."""
    os.environ.update(
        MASTER_ADDR=LOCALHOST,
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world_size),
    )
    init_from_environment(backend)
    try:
        result = target(*args)
        if rank == 0:
            Path(result_path).write_bytes(pickle.dumps(result))
    finally:
        dist.destroy_process_group()


def spawn(target, world_size: int, *args, backend: str = "gloo", port: int = 0):
    """Run ``target(*args)`` in ``world_size`` fresh processes on 127.0.0.1; rank 0's result.

    ``target`` must be picklable by reference: a ``StageFunction``. ``port=0`` picks a free
    port. A failure in any rank is raised here with that rank's traceback.
    """
    check_backend(backend)
    port = port or free_port()
    check_port_free(port)
    entry = StageFunction("17", "library_impl/_launch.py", "run_rank")
    with tempfile.TemporaryDirectory() as folder:
        result_path = Path(folder) / "rank0.pt"
        mp.start_processes(
            entry,
            args=(world_size, backend, port, target, args, str(result_path)),
            nprocs=world_size,
            start_method="spawn",
        )
        return pickle.loads(result_path.read_bytes())
