"""All-reduce by hand: N simulated workers each hold an array; afterwards every one holds the sum.

Data-parallel training needs one collective operation: every worker computed a gradient g_i
on its own shard of the batch, and every worker must end the step with Σ_i g_i (then / N).
That is an *all-reduce*. Three ways to do it, for N workers and an array of S bytes:

Naive (all to one). Every worker sends its array to worker 0, which adds them up and sends
the sum back. Worker 0's link carries (N - 1)·S bytes in and (N - 1)·S bytes out: the cost
grows with N, and all the other links sit idle.

Tree. Pairs add up in ⌈log2 N⌉ rounds (1 → 0, 3 → 2, …; then 2 → 0, …), and the sum comes
back down the same tree. Few rounds (good when messages are small and latency dominates),
but every message is the whole array.

Ring. Arrange the workers in a ring, i sends to i + 1 (mod N), and cut every array into N
chunks c_0 … c_{N-1} (sizes differ by at most one element when N does not divide S).
  1. Reduce-scatter, N - 1 steps. At step s worker i sends chunk (i - s) mod N to worker
     i + 1, which adds it to its own copy of that chunk. A chunk travels round the ring
     collecting one contribution per hop; after N - 1 hops worker i holds the complete sum
     of chunk (i + 1) mod N.
  2. All-gather, N - 1 steps. At step s worker i sends chunk (i + 1 - s) mod N, complete,
     to worker i + 1, which overwrites its copy. After N - 1 more hops every worker has
     every complete chunk.
Each worker sends one chunk per step, 2(N - 1) chunks of S/N bytes:

    bytes sent per worker = 2(N - 1)/N · S        (< 2S, whatever N)

and every link is busy at every step. With the α-β model (a message of m bytes takes
α + m/β seconds: latency α, bandwidth β), the three cost

    naive  2(N - 1)(α + S/β)          the root receives and sends N - 1 whole arrays
    tree   2⌈log2 N⌉(α + S/β)         two passes over the tree's depth
    ring   2(N - 1)(α + S/(N β))      bandwidth term ≈ 2S/β, independent of N

so the ring wins for large arrays (gradients) and the tree for tiny ones (a loss value).
Floating-point addition is not associative: the three add in different orders, so they
agree with Σ_i a_i to rounding (≤ 1e-12 relative in float64), not bit for bit.

Run: python ring_allreduce_numpy.py [--seed 0] [--workers 5] [--size 1003]
"""

import math

import numpy as np

import journey

checks = journey.load_stage("17", "from_scratch/_collective_checks.py")
options = journey.load_stage("17", "from_scratch/_options.py")


# ---------------------------------------------------------------------- the ring, by hand


def chunk_bounds(size: int, n_chunks: int) -> list[tuple[int, int]]:
    """[start, stop) of each of n_chunks nearly equal chunks (np.array_split's rule)."""
    edges = np.cumsum([0] + [len(part) for part in np.array_split(np.empty(size), n_chunks)])
    return [(int(edges[c]), int(edges[c + 1])) for c in range(n_chunks)]


def ring_reduce_scatter(buffers: list[np.ndarray], bounds, trace=None) -> np.ndarray:
    """N - 1 steps: worker i sends chunk (i - s) mod N to i + 1, which adds it to its copy.

    All sends of a step happen at once, so every message is read before any is applied.
    Returns the bytes each worker sent; ``trace`` (a list) receives one record per message.
    """
    n = len(buffers)
    sent = np.zeros(n, dtype=np.int64)
    for step in range(n - 1):
        # BEGIN SOLUTION 17.1
        # task: one reduce-scatter step: every worker sends one chunk right, the receiver adds it
        # hint: sender i sends chunk (i - step) % n to (i + 1) % n; copy all first, then add
        messages = []
        for sender in range(n):
            start, stop = bounds[(sender - step) % n]
            messages.append((sender, (sender - step) % n, buffers[sender][start:stop].copy()))
        for sender, chunk, payload in messages:
            start, stop = bounds[chunk]
            buffers[(sender + 1) % n][start:stop] += payload
            sent[sender] += payload.nbytes
            _note(trace, "reduce-scatter", step, sender, (sender + 1) % n, chunk)
        # END SOLUTION
    return sent


def ring_all_gather(buffers: list[np.ndarray], bounds, trace=None) -> np.ndarray:
    """N - 1 steps: worker i sends its complete chunk (i + 1 - s) mod N to i + 1 (overwrite)."""
    n = len(buffers)
    sent = np.zeros(n, dtype=np.int64)
    for step in range(n - 1):
        # BEGIN SOLUTION 17.2
        # task: one all-gather step: every worker passes a complete chunk right (overwrite)
        # hint: sender i sends chunk (i + 1 - step) % n to (i + 1) % n; count payload.nbytes
        messages = []
        for sender in range(n):
            start, stop = bounds[(sender + 1 - step) % n]
            messages.append((sender, (sender + 1 - step) % n, buffers[sender][start:stop].copy()))
        for sender, chunk, payload in messages:
            start, stop = bounds[chunk]
            buffers[(sender + 1) % n][start:stop] = payload
            sent[sender] += payload.nbytes
            _note(trace, "all-gather", step, sender, (sender + 1) % n, chunk)
        # END SOLUTION
    return sent


def ring_allreduce(arrays: list[np.ndarray], trace=None) -> tuple[list[np.ndarray], np.ndarray]:
    """Every worker's copy of Σ_i arrays[i], and the bytes each worker sent.

    Each worker works on its own flat copy; the inputs are left untouched.
    """
    shape = checks.check_buffers(arrays)
    buffers = [np.array(a, dtype=np.result_type(*arrays)).ravel() for a in arrays]
    bounds = chunk_bounds(buffers[0].size, len(buffers))
    sent = ring_reduce_scatter(buffers, bounds, trace)
    sent += ring_all_gather(buffers, bounds, trace)
    return [b.reshape(shape) for b in buffers], sent


def _note(trace, phase: str, step: int, sender: int, receiver: int, chunk: int) -> None:
    if trace is not None:
        trace.append(dict(phase=phase, step=step, sender=sender, receiver=receiver, chunk=chunk))


# ---------------------------------------------------------------------- for contrast


def naive_allreduce(arrays: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Everyone sends to worker 0, which adds and sends the sum back to everyone."""
    checks.check_buffers(arrays)
    n, nbytes = len(arrays), np.asarray(arrays[0]).nbytes
    total = np.array(arrays[0], dtype=np.result_type(*arrays))
    for other in arrays[1:]:
        total = total + other
    sent = np.full(n, nbytes, dtype=np.int64)  # workers 1 … N-1 send their array once
    sent[0] = (n - 1) * nbytes  # the root sends the sum to each of them
    return [total.copy() for _ in range(n)], sent


def tree_allreduce(arrays: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
    """Binary-tree reduce to worker 0 in ⌈log2 N⌉ rounds, then broadcast down the same tree."""
    checks.check_buffers(arrays)
    n = len(arrays)
    buffers = [np.array(a, dtype=np.result_type(*arrays)) for a in arrays]
    sent = np.zeros(n, dtype=np.int64)
    strides = [2**r for r in range(math.ceil(math.log2(n)))] if n > 1 else []
    for stride in strides:  # reduce: i + stride sends to i, for i a multiple of 2·stride
        for receiver in range(0, n - stride, 2 * stride):
            buffers[receiver] += buffers[receiver + stride]
            sent[receiver + stride] += buffers[receiver + stride].nbytes
    for stride in reversed(strides):  # broadcast: the same edges, the other way
        for sender in range(0, n - stride, 2 * stride):
            buffers[sender + stride] = buffers[sender].copy()
            sent[sender] += buffers[sender].nbytes
    return buffers, sent


ALGORITHMS = {"naive": naive_allreduce, "tree": tree_allreduce, "ring": ring_allreduce}


# ---------------------------------------------------------------------- the cost model


def ring_bytes_formula(n_workers: int, nbytes: int) -> float:
    """2(N - 1)/N · S: what each worker sends in a ring all-reduce of S bytes."""
    return 2 * (n_workers - 1) / n_workers * nbytes


def cost_model_seconds(
    algorithm: str, n_workers: int, nbytes: float, latency: float, bandwidth: float
) -> float:
    """α-β time of one all-reduce: α = latency (s per message), β = bandwidth (bytes/s)."""
    n, alpha, beta = n_workers, latency, bandwidth
    if algorithm == "naive":
        return 2 * (n - 1) * (alpha + nbytes / beta)
    if algorithm == "tree":
        return 2 * math.ceil(math.log2(n)) * (alpha + nbytes / beta) if n > 1 else 0.0
    if algorithm == "ring":
        return 2 * (n - 1) * (alpha + nbytes / (n * beta))
    raise ValueError(f"algorithm must be 'naive', 'tree' or 'ring', got {algorithm!r}")


# ---------------------------------------------------------------------- main


def check_sums(worker_counts, sizes, rng: np.random.Generator) -> None:
    """Each all-reduce against the plain sum, and the ring's bytes against 2(N - 1)/N · S.

    One record per algorithm covers every (N, size) case: the results of all cases laid end
    to end against the sums laid end to end.
    """
    from journey import parity

    cases = [(n, size) for n in worker_counts for size in sizes]
    arrays = {case: [rng.standard_normal(case[1]) for _ in range(case[0])] for case in cases}
    expected = np.concatenate([np.tile(np.sum(a, axis=0), len(a)) for a in arrays.values()])
    label = f"N = {min(worker_counts)}…{max(worker_counts)}, sizes {list(sizes)}"
    for name, allreduce in ALGORITHMS.items():
        results = np.concatenate([np.concatenate(allreduce(a)[0]) for a in arrays.values()])
        parity.close(f"{name} all-reduce = Σ ({label})", results, expected, rtol=1e-12)
    sent = {case: ring_allreduce(a)[1] for case, a in arrays.items()}
    parity.equal(
        f"ring: total bytes = 2(N-1)·S ({label})",
        [sent[n, size].sum() for n, size in cases],
        [2 * (n - 1) * size * 8 for n, size in cases],
    )
    off = max(np.abs(sent[n, size] - ring_bytes_formula(n, size * 8)).max() for n, size in cases)
    parity.at_most(f"ring: bytes per worker − 2(N-1)/N·S, worst ({label})", off, 2 * 8)


def main(argv=None) -> int:
    parser = options.script_parser(
        __doc__, workers=(5, "workers in the ring"), size=(1003, "elements per array")
    )
    args = parser.parse_args(argv)
    figures = journey.load_stage("17", "from_scratch/_ring_figures.py")
    rng = np.random.default_rng(args.seed)

    sizes = (1, 7, args.size) if journey.is_quick() else (1, 7, 64, args.size, 100_003)
    check_sums(sorted({1, 2, 3, 4, args.workers, 8}), sizes, rng)

    arrays = [rng.standard_normal(args.size) for _ in range(args.workers)]
    for name, allreduce in ALGORITHMS.items():
        _, sent = allreduce(arrays)
        print(f"{name:>5}: bytes sent per worker {sent.tolist()}  (busiest {sent.max()})")
    print(
        f"ring formula 2(N-1)/N·S = {ring_bytes_formula(args.workers, arrays[0].nbytes):.1f} bytes"
    )

    trace = []
    ring_allreduce([np.arange(4.0) for _ in range(4)], trace)
    journey.save_figure(figures.plot_ring_steps(trace, 4), "17_distributed", "ring_steps")
    journey.save_figure(
        figures.plot_cost_model(cost_model_seconds), "17_distributed", "allreduce_cost_model"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
