"""Data-parallel SGD by hand: N workers, one shard of each batch each, gradients averaged by a ring.

Every worker holds a full copy (a *replica*) of the parameters θ. For each global batch B of
|B| samples, worker i takes its shard B_i (every N-th sample, |B_i| = |B|/N) and computes the
gradient of its own mean loss,

    g_i = ∂/∂θ (1/|B_i|) Σ_{n ∈ B_i} ℓ_n(θ).

A ring all-reduce gives every worker Σ_i g_i; dividing by N gives the average, which is the
gradient of the mean loss over the whole global batch — because the shards have equal size:

    (1/N) Σ_i g_i = (1/N) Σ_i (N/|B|) Σ_{n ∈ B_i} ∇ℓ_n = (1/|B|) Σ_{n ∈ B} ∇ℓ_n = g.

Every replica then takes the same step θ ← θ - η g, so the replicas never drift apart, and
N workers on shards of size |B|/N follow exactly the trajectory of one worker on the whole
batch (to rounding: the sum is added in a different order). The work per worker falls by
N; the price is one all-reduce of the gradient, 2(N - 1)/N · |θ| values sent per worker.

With unequal shards the plain average would weight the samples of a small shard more: that
is why the global batch must split evenly (a clear error otherwise).

The network is stage 04's two-layer MLP, imported: its ``loss_and_gradients`` and
``sgd_update`` are the single-worker step; this file adds only the sharding and the ring.

Run: python data_parallel_numpy.py [--workers 4] [--batch-size 48] [--steps 30] [--seed 0]
"""

import numpy as np

import journey
from journey.params import copy_params

mlp = journey.load_stage("04", "from_scratch/mlp_two_layer_numpy.py")
ring = journey.load_stage("17", "from_scratch/ring_allreduce_numpy.py")
checks = journey.load_stage("17", "from_scratch/_collective_checks.py")
options = journey.load_stage("17", "from_scratch/_options.py")


# ---------------------------------------------------------------------- one step, N workers


def shard(batch: np.ndarray, n_workers: int) -> list[np.ndarray]:
    """Worker i takes samples i, i + N, i + 2N, … of the batch (what DistributedSampler does)."""
    checks.check_divides(len(batch), n_workers)
    return [batch[rank::n_workers] for rank in range(n_workers)]


def flatten(grads: dict[str, np.ndarray]) -> np.ndarray:
    """All gradients laid end to end in one buffer: one all-reduce instead of one per tensor."""
    return np.concatenate([g.ravel() for g in grads.values()])


def unflatten(buffer: np.ndarray, like: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Cut a flat buffer back into arrays with the names and shapes of ``like``."""
    out, start = {}, 0
    for name, value in like.items():
        out[name] = buffer[start : start + value.size].reshape(value.shape)
        start += value.size
    return out


def data_parallel_step(replicas, X, y, batch, learning_rate, activation) -> float:
    """One synchronous step: local gradients, ring all-reduce, average, the same update everywhere.

    ``replicas`` holds one parameter dict per worker; returns the mean of the workers' losses.
    """
    n_workers = len(replicas)
    # BEGIN SOLUTION 17.3
    # task: local gradients on each shard, summed by the ring, averaged, applied on every replica
    # hint: mlp.loss_and_gradients per shard, flatten, ring.ring_allreduce, / N, mlp.sgd_update
    local = []
    for params, rows in zip(replicas, shard(batch, n_workers), strict=True):
        loss, grads = mlp.loss_and_gradients(params, X[rows], y[rows], activation)
        local.append((loss, flatten(grads)))
    summed, _ = ring.ring_allreduce([flat for _, flat in local])
    for params, total in zip(replicas, summed, strict=True):
        mlp.sgd_update(params, unflatten(total / n_workers, params), learning_rate)
    return float(np.mean([loss for loss, _ in local]))
    # END SOLUTION


def data_parallel_sgd(params, X, y, batches, n_workers, learning_rate, activation="relu"):
    """Copy ``params`` to N replicas and take one data-parallel step per global batch.

    Returns the replicas (all equal, by construction) and the loss of each step.
    """
    replicas = [copy_params(params) for _ in range(n_workers)]
    losses = [data_parallel_step(replicas, X, y, b, learning_rate, activation) for b in batches]
    return replicas, losses


def single_worker_sgd(params, X, y, batches, learning_rate, activation="relu"):
    """The reference: one worker, the whole global batch, stage 04's step."""
    params = copy_params(params)
    for batch in batches:
        _, grads = mlp.loss_and_gradients(params, X[batch], y[batch], activation)
        mlp.sgd_update(params, grads, learning_rate)
    return params


def global_batches(n_samples: int, batch_size: int, steps: int, rng) -> list[np.ndarray]:
    """``steps`` full batches from fresh shuffles (stage 04's minibatches); short ones dropped."""
    if not 1 <= batch_size <= n_samples:
        raise ValueError(f"the global batch must hold 1 to {n_samples} samples, got {batch_size}")
    batches = []
    while len(batches) < steps:
        epoch = mlp.minibatches(n_samples, batch_size, rng)
        batches += [b for b in epoch if len(b) == batch_size]
    return batches[:steps]


# ---------------------------------------------------------------------- main


def main(argv=None) -> int:
    from journey import parity
    from journey.data import standardised_split

    parser = options.script_parser(
        __doc__,
        workers=(4, "largest N tried"),
        batch_size=(48, "global batch"),
        steps=(30, "SGD steps"),
        hidden=(32, "hidden units"),
        lr=(0.1, "SGD step size"),
    )
    args = parser.parse_args(argv)
    steps = min(args.steps, 5) if journey.is_quick() else args.steps

    X, _, y, _ = standardised_split("digits", seed=args.seed)
    rng = np.random.default_rng(args.seed)
    start = mlp.init_params(X.shape[1], args.hidden, 10, "relu", rng)
    batches = global_batches(len(X), args.batch_size, steps, rng)
    reference = single_worker_sgd(start, X, y, batches, args.lr)
    print(f"digits, global batch {args.batch_size}, {steps} steps, hidden {args.hidden}")
    for n_workers in range(1, args.workers + 1):
        if args.batch_size % n_workers:
            print(f"N = {n_workers}: skipped, {args.batch_size} does not split evenly")
            continue
        replicas, losses = data_parallel_sgd(start, X, y, batches, n_workers, args.lr)
        print(f"N = {n_workers}: shard {args.batch_size // n_workers}, loss {losses[-1]:.4f}")
        parity.close(
            f"{n_workers} ring workers vs 1 worker on the global batch: θ after {steps} steps",
            flatten(replicas[0]),
            flatten(reference),
            rtol=1e-12,
        )
        parity.equal(
            f"{n_workers} replicas identical after {steps} steps",
            np.stack([flatten(r) for r in replicas]),
            np.stack([flatten(replicas[0])] * n_workers),
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
