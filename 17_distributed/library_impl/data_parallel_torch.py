"""Data-parallel training with torch.distributed: all_reduce, DistributedDataParallel, no_sync.

What the NumPy lesson did by hand, PyTorch does with four pieces:

- a *process group* (``dist.init_process_group("gloo")``): N processes, ranks 0 … N-1, that
  meet at MASTER_ADDR:MASTER_PORT. gloo runs collectives on CPU tensors over TCP; nccl is its
  GPU twin. ``dist.all_reduce(t)`` leaves Σ_ranks t in every rank's t — the ring's job.
- ``DistributedSampler``: rank r takes positions r, r + N, r + 2N, … of a permutation that every
  rank draws from the same seed (seed + epoch), so the shards of a global batch never overlap.
- ``DistributedDataParallel`` (DDP): wraps the model, copies rank 0's parameters to every
  rank, and during ``backward()`` hooks every gradient: gradients are packed into buckets
  (25 MB by default) and each full bucket is all-reduced while backward still computes the
  earlier layers (communication overlaps computation). Each rank divides by N: the average
  gradient, (1/N) Σ_r g_r, the gradient of the mean loss over the whole global batch.
- ``ddp.no_sync()``: backward without the all-reduce. Gradients accumulate locally over A
  micro-batches and the last backward (outside ``no_sync``) all-reduces the sum once, so A
  micro-batches of b per rank equal one step on a global batch of A·b·N samples (with each
  micro-batch loss divided by A), at 1/A of the communication.

So N processes on shards of |B|/N train exactly like one process on the global batch B: the
script checks it against single-process training, and against the NumPy ring simulation.

Run: torchrun --nproc_per_node=2 data_parallel_torch.py     (torchrun starts the processes)
     python data_parallel_torch.py --nproc 2                   (the script spawns them itself)
"""

import contextlib
import itertools

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import journey

mlp_torch = journey.load_stage("04", "library_impl/mlp_two_layer_pytorch.py")
mlp = journey.load_stage("04", "from_scratch/mlp_two_layer_numpy.py")
launch = journey.load_stage("17", "library_impl/_launch.py")
options = journey.load_stage("17", "from_scratch/_options.py")
simulation = journey.load_stage("17", "from_scratch/data_parallel_numpy.py")
ring = journey.load_stage("17", "from_scratch/ring_allreduce_numpy.py")

DTYPES = {"float64": torch.float64, "float32": torch.float32}
FLOAT32_BAR = 1e-5  # float32 adds in another order: ~1e-7 relative per step, growing with steps


# ---------------------------------------------------------------------- on every rank


def seeded_array(seed: int, rank: int, size: int) -> np.ndarray:
    """The array rank ``rank`` contributes: its own stream of default_rng((seed, rank))."""
    return np.random.default_rng((seed, rank)).standard_normal(size)


def all_reduce_seeded(seed: int, size: int) -> np.ndarray:
    """dist.all_reduce of every rank's seeded float64 array: the sum, on every rank."""
    tensor = torch.from_numpy(seeded_array(seed, dist.get_rank(), size))
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.numpy()


def rank_batches(X, y, per_rank_batch: int, seed: int):
    """This rank's batches, epoch after epoch: DistributedSampler shards, set_epoch reshuffles."""
    dataset = TensorDataset(X, y)
    sampler = DistributedSampler(dataset, shuffle=True, seed=seed, drop_last=True)
    loader = DataLoader(dataset, batch_size=per_rank_batch, sampler=sampler, drop_last=True)
    for epoch in itertools.count():
        sampler.set_epoch(epoch)
        yield from loader


def train_ddp(state: dict, X, y, settings: dict, dtype: str, accumulate: int = 1) -> dict:
    """``steps`` DDP steps of SGD from ``state``, each over ``accumulate`` micro-batches.

    ``settings["batch_size"]`` is the global batch of one micro-batch (all ranks together).
    """
    world = dist.get_world_size()
    launch.check_divides(settings["batch_size"], world)
    model = mlp_torch.TwoLayerMLP(X.shape[1], settings["hidden"], settings["classes"])
    mlp_torch.copy_state_from_numpy(model.to(DTYPES[dtype]), state)
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=settings["lr"])
    X, y = torch.as_tensor(X, dtype=DTYPES[dtype]), torch.as_tensor(y)
    batches = rank_batches(X, y, settings["batch_size"] // world, settings["seed"])
    for _ in range(settings["steps"]):
        optimizer.zero_grad()
        for micro in range(accumulate):
            xb, yb = next(batches)
            last = micro == accumulate - 1
            with contextlib.nullcontext() if last else ddp.no_sync():
                (F.cross_entropy(ddp(xb), yb) / accumulate).backward()
        optimizer.step()
    return mlp_torch.state_to_numpy(model)


def ddp_worker(state: dict, X, y, settings: dict) -> dict:
    """Everything a rank runs: the all-reduce check, DDP in float64 and float32, accumulation."""
    return {
        "world": dist.get_world_size(),
        "all_reduce": all_reduce_seeded(settings["seed"], settings["reduce_size"]),
        "ddp_float64": train_ddp(state, X, y, settings, "float64"),
        "ddp_float32": train_ddp(state, X, y, settings, "float32"),
        "ddp_no_sync": train_ddp(state, X, y, settings, "float64", settings["accumulate"]),
    }


# ---------------------------------------------------------------------- the references


def global_batches(n_samples: int, batch_size: int, steps: int, seed: int) -> list[np.ndarray]:
    """The global batches the ranks see together, built in one process.

    Epoch e draws torch.randperm(n, generator seeded with seed + e) — DistributedSampler's
    permutation — and cuts it into full batches; rank r's share of a batch is every N-th sample.
    """
    if not 1 <= batch_size <= n_samples:
        raise ValueError(f"the global batch must hold 1 to {n_samples} samples, got {batch_size}")
    batches = []
    for epoch in itertools.count():
        order = torch.randperm(n_samples, generator=torch.Generator().manual_seed(seed + epoch))
        full = n_samples // batch_size
        batches += [order[k * batch_size : (k + 1) * batch_size].numpy() for k in range(full)]
        if len(batches) >= steps:
            return batches[:steps]


def train_single(state: dict, X, y, batches, settings: dict, dtype: str) -> dict:
    """The reference: one process, plain SGD, one step per global batch (stage 04's twin)."""
    model = mlp_torch.TwoLayerMLP(X.shape[1], settings["hidden"], settings["classes"])
    mlp_torch.copy_state_from_numpy(model.to(DTYPES[dtype]), state)
    optimizer = torch.optim.SGD(model.parameters(), lr=settings["lr"])
    X, y = torch.as_tensor(X, dtype=DTYPES[dtype]), torch.as_tensor(y)
    for batch in batches:
        mlp_torch.train_step(model, optimizer, X[batch], y[batch])
    return mlp_torch.state_to_numpy(model)


def joined(batches: list[np.ndarray], group: int) -> list[np.ndarray]:
    """Consecutive batches joined ``group`` at a time: the larger batch accumulation equals."""
    return [np.concatenate(batches[i : i + group]) for i in range(0, len(batches), group)]


def compare(result: dict, state: dict, X, y, settings: dict) -> list:
    """Record every check of one run against the single-process and NumPy references."""
    from journey import parity

    world, steps, flat = result["world"], settings["steps"], simulation.flatten
    seeded = [seeded_array(settings["seed"], r, settings["reduce_size"]) for r in range(world)]
    records = [
        parity.close(
            f"all_reduce (gloo, {world} ranks) vs NumPy ring, float64",
            result["all_reduce"],
            ring.ring_allreduce(seeded)[0][0],
            rtol=1e-12,
        )
    ]
    batches = global_batches(len(X), settings["batch_size"], steps, settings["seed"])
    for dtype, bar in (("float64", 1e-10), ("float32", FLOAT32_BAR)):
        single = train_single(state, X, y, batches, settings, dtype)
        records.append(
            parity.close(
                f"DDP {world} ranks vs 1 process on the global batch, {dtype}, {steps} steps",
                flat(result[f"ddp_{dtype}"]),
                flat(single),
                rtol=bar,
            )
        )
    replicas, _ = simulation.data_parallel_sgd(state, X, y, batches, world, settings["lr"])
    records.append(
        parity.close(
            f"DDP {world} ranks vs NumPy ring simulation, float64, {steps} steps",
            flat(result["ddp_float64"]),
            flat(replicas[0]),
            rtol=1e-10,
        )
    )
    records.append(compare_accumulation(result, state, X, y, settings))
    return records


def compare_accumulation(result: dict, state: dict, X, y, settings: dict):
    """DDP with no_sync over A micro-batches vs one process on batches A times larger."""
    from journey import parity

    steps, group = settings["steps"], settings["accumulate"]
    micro = global_batches(len(X), settings["batch_size"], steps * group, settings["seed"])
    single = train_single(state, X, y, joined(micro, group), settings, "float64")
    return parity.close(
        f"DDP no_sync, {group} micro-batches of {settings['batch_size']} vs 1 process on "
        f"{group * settings['batch_size']}, float64",
        simulation.flatten(result["ddp_no_sync"]),
        simulation.flatten(single),
        rtol=1e-10,
    )


# ---------------------------------------------------------------------- main


def problem(seed: int, quick: bool, batch_size: int = 64, steps: int = 20, hidden: int = 32):
    """Digits (standardised), stage 04's initial weights, and the settings every rank uses."""
    from journey.data import standardised_split

    X, _, y, _ = standardised_split("digits", seed=seed)
    state = mlp.init_params(X.shape[1], hidden, 10, "relu", np.random.default_rng(seed))
    settings = dict(
        batch_size=batch_size,
        steps=min(steps, 5) if quick else steps,
        hidden=hidden,
        classes=10,
        lr=0.1,
        seed=seed,
        accumulate=2,
        reduce_size=1003,
    )
    return state, X, y, settings


def main(argv=None) -> int:
    parser = options.script_parser(
        __doc__,
        nproc=(2, "processes to spawn"),
        backend=("gloo", "process-group backend"),
        master_port=(0, "port of the rank-0 process; 0 picks a free one"),
        batch_size=(64, "global batch"),
        steps=(20, "SGD steps"),
    )
    args = parser.parse_args(argv)
    state, X, y, settings = problem(args.seed, journey.is_quick(), args.batch_size, args.steps)
    if launch.launched_by_torchrun():
        launch.init_from_environment(args.backend)
        result = ddp_worker(state, X, y, settings)
        rank = dist.get_rank()
        dist.destroy_process_group()
        if rank != 0:
            return 0
    else:
        launch.check_divides(settings["batch_size"], args.nproc)
        worker = launch.StageFunction("17", "library_impl/data_parallel_torch.py", "ddp_worker")
        result = launch.spawn(
            worker, args.nproc, state, X, y, settings, backend=args.backend, port=args.master_port
        )
    print(f"{result['world']} processes, global batch {settings['batch_size']}, digits MLP")
    compare(result, state, X, y, settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
