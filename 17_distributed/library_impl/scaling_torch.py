"""Time per training step vs number of processes, split into computation and communication.

Strong scaling: the global batch B stays fixed and each of N processes computes the forward
and backward pass on B/N samples, then DDP all-reduces the |θ| gradient values. A model of it:

    t_step(N) ≈ t_compute(1)/N + t_allreduce(N) + t_update
    t_allreduce(N) ≈ 2(N - 1)(α + 4|θ|/(N β))        (ring, float32; α latency, β bandwidth)

Computation shrinks as 1/N while communication does not shrink at all (it tends to 8|θ|/β),
so the speed-up flattens once the two meet. On one machine there is a harder wall: N
processes share C cores, and with N > C they take turns, so t_compute stops falling at N = C.

Measured per rank with ``journey.timing.median_time`` after a barrier (the slowest rank is
reported, since every step waits for it): ``compute`` is forward + backward inside
``ddp.no_sync()`` (no communication), ``all_reduce`` a bare ``dist.all_reduce`` of a buffer as
large as the gradients, ``step`` a full DDP step (forward, backward with the bucketed
all-reduce overlapping it, SGD update). ``step - compute`` is what data parallelism costs.

Run: python scaling_torch.py [--nprocs 1 2 4] [--hidden 1024] [--batch-size 1024]
(not under torchrun: the script spawns each number of processes itself)
"""

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

import journey
from journey.timing import median_time

mlp_torch = journey.load_stage("04", "library_impl/mlp_two_layer_pytorch.py")
launch = journey.load_stage("17", "library_impl/_launch.py")
options = journey.load_stage("17", "from_scratch/_options.py")
PHASES = ("compute", "all_reduce", "step")


def time_rank(settings: dict) -> dict:
    """Time the three phases on this rank; return the slowest rank's times and a sync check."""
    world, rank = dist.get_world_size(), dist.get_rank()
    launch.check_divides(settings["batch_size"], world)
    model = mlp_torch.build(settings["features"], settings["hidden"], 10, seed=settings["seed"])
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.01)
    generator = torch.Generator().manual_seed(settings["seed"] + rank)  # this rank's shard
    xb = torch.randn(settings["batch_size"] // world, settings["features"], generator=generator)
    yb = torch.randint(10, (len(xb),), generator=generator)
    gradients = torch.zeros(sum(p.numel() for p in model.parameters()))

    def compute():
        optimizer.zero_grad()
        with ddp.no_sync():
            F.cross_entropy(ddp(xb), yb).backward()

    def step():
        optimizer.zero_grad()
        F.cross_entropy(ddp(xb), yb).backward()
        optimizer.step()

    phases = {"compute": compute, "all_reduce": lambda: dist.all_reduce(gradients), "step": step}
    times = []
    for name in PHASES:
        dist.barrier()
        times.append(median_time(phases[name], settings["repeats"], warmup=2)[0])
    slowest = torch.tensor(times, dtype=torch.float64)
    dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
    return dict(
        world=world,
        n_params=gradients.numel(),
        replica_gap=replica_gap(model),
        **dict(zip(PHASES, slowest.tolist(), strict=True)),
    )


def replica_gap(model) -> float:
    """max |θ_rank - θ_0| over all ranks: 0 when DDP kept every replica in step."""
    flat = torch.cat([p.detach().flatten() for p in model.parameters()])
    gathered = [torch.empty_like(flat) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, flat)
    return max(float((g - gathered[0]).abs().max()) for g in gathered)


def measure(process_counts, settings: dict) -> list[dict]:
    """Spawn each number of processes in turn on 127.0.0.1; one row of times per count."""
    target = launch.StageFunction("17", "library_impl/scaling_torch.py", "time_rank")
    return [launch.spawn(target, n, settings) for n in process_counts]


def plot_scaling(rows: list[dict]):
    """Stacked bars: compute, then what the full DDP step adds; the ideal compute(1)/N line."""
    from journey.plotting import pyplot

    fig, ax = pyplot().subplots(figsize=(6, 4))
    labels = [str(r["world"]) for r in rows]
    compute = [r["compute"] * 1e3 for r in rows]
    extra = [max(r["step"] - r["compute"], 0.0) * 1e3 for r in rows]
    ax.bar(labels, compute, label="compute (forward + backward, no_sync)")
    ax.bar(labels, extra, bottom=compute, label="communication + update (step − compute)")
    ideal = [rows[0]["compute"] * 1e3 / r["world"] for r in rows]
    ax.plot(labels, ideal, "k--o", label="ideal compute: t(1) / N")
    ax.set(xlabel="processes N", ylabel="ms per step (slowest rank)")
    ax.set_title(f"DDP on this machine, global batch fixed, {rows[0]['n_params']:,} parameters")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    fig.tight_layout()
    return fig


def print_table(rows: list[dict]) -> None:
    print(f"{'N':>3} {'compute ms':>11} {'all_reduce ms':>14} {'step ms':>8} {'speed-up':>9}")
    for r in rows:
        speed_up = rows[0]["step"] / r["step"]
        print(
            f"{r['world']:>3} {r['compute'] * 1e3:>11.2f} {r['all_reduce'] * 1e3:>14.3f} "
            f"{r['step'] * 1e3:>8.2f} {speed_up:>9.2f}"
        )


def main(argv=None) -> int:
    from journey import parity

    parser = options.script_parser(
        __doc__, hidden=(1024, "hidden units"), batch_size=(1024, "global batch")
    )
    parser.add_argument("--nprocs", type=int, nargs="+", default=None, help="default: 1 2 4")
    args = parser.parse_args(argv)
    quick = journey.is_quick()
    counts = args.nprocs or ([1, 2] if quick else [1, 2, 4])
    settings = dict(
        features=64,
        hidden=args.hidden,
        batch_size=args.batch_size,
        seed=args.seed,
        repeats=5 if quick else 20,
    )
    if launch.launched_by_torchrun():
        # under torchrun there would be one row (N = world size) and nothing to compare it with
        parser.error("run it without torchrun; it spawns 1, 2, 4 processes itself")
    rows = measure(counts, settings)
    print_table(rows)
    for row in rows:
        parity.at_most(
            f"DDP replicas identical after timing, N={row['world']}", row["replica_gap"], 0.0
        )
    journey.save_figure(plot_scaling(rows), "17_distributed", "scaling")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
