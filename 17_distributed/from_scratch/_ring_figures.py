"""Figures for the all-reduce lesson: the ring step by step, and the α-β cost model."""

import numpy as np

from journey.plotting import pyplot


def contributions_after_each_step(trace: list[dict], n_workers: int) -> list[np.ndarray]:
    """How many workers' values each copy of each chunk holds, before and after every step.

    counts[w, c] starts at 1 (worker w holds its own chunk c). A reduce-scatter message adds
    the sender's count to the receiver's; an all-gather message overwrites it.
    """
    counts = np.ones((n_workers, n_workers), dtype=int)
    states = [counts.copy()]
    steps = sorted({(m["phase"] == "all-gather", m["step"]) for m in trace})
    for phase_is_gather, step in steps:
        before = counts.copy()
        for m in trace:
            if (m["phase"] == "all-gather", m["step"]) != (phase_is_gather, step):
                continue
            value = before[m["sender"], m["chunk"]]
            if phase_is_gather:
                counts[m["receiver"], m["chunk"]] = value
            else:
                counts[m["receiver"], m["chunk"]] += value
        states.append(counts.copy())
    return states


def plot_ring_steps(trace: list[dict], n_workers: int):
    """One panel per step: rows are workers, columns chunks, colour = contributions summed.

    A ring all-reduce is done when every cell shows N. The cells just written are outlined,
    and the title lists the messages of that step as sender→receiver:chunk.
    """
    plt = pyplot()
    states = contributions_after_each_step(trace, n_workers)
    fig, axes = plt.subplots(1, len(states), figsize=(2.2 * len(states), 2.8), squeeze=False)
    phases = ["start"] + ["reduce-scatter"] * (n_workers - 1) + ["all-gather"] * (n_workers - 1)
    for index, (ax, counts) in enumerate(zip(axes[0], states, strict=True)):
        ax.imshow(counts, cmap="Blues", vmin=0, vmax=n_workers)
        for w in range(n_workers):
            for c in range(n_workers):
                colour = "white" if counts[w, c] > n_workers / 2 else "black"
                ax.text(c, w, counts[w, c], ha="center", va="center", fontsize=9, color=colour)
        moves = _moves_of_step(trace, index, n_workers)
        for m in moves:
            ax.add_patch(
                plt.Rectangle(
                    (m["chunk"] - 0.5, m["receiver"] - 0.5), 1, 1, fill=False, lw=2, ec="C3"
                )
            )
        label = ", ".join(f"{m['sender']}→{m['receiver']}:c{m['chunk']}" for m in moves)
        ax.set_title(f"{phases[index]}\n{label}" if label else phases[index], fontsize=7)
        ax.set_xticks(range(n_workers), [f"c{c}" for c in range(n_workers)], fontsize=7)
        ax.set_yticks(range(n_workers), [f"w{w}" for w in range(n_workers)], fontsize=7)
    fig.suptitle(f"ring all-reduce, N = {n_workers}: contributions summed in each chunk copy")
    fig.tight_layout()
    return fig


def _moves_of_step(trace: list[dict], index: int, n_workers: int) -> list[dict]:
    """The messages of panel ``index`` (0 is the start, then reduce-scatter, then all-gather)."""
    if index == 0:
        return []
    phase = "reduce-scatter" if index <= n_workers - 1 else "all-gather"
    step = (index - 1) % (n_workers - 1)
    return [m for m in trace if m["phase"] == phase and m["step"] == step]


def plot_cost_model(cost_model_seconds, latency: float = 5e-6, bandwidth: float = 10e9):
    """α-β model time of naive, tree and ring all-reduce: vs workers, and vs message size."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    workers, sizes = np.arange(2, 65), np.logspace(2, 9, 50)
    for algorithm in ("naive", "tree", "ring"):
        left.plot(
            workers,
            [cost_model_seconds(algorithm, n, 100e6, latency, bandwidth) for n in workers],
            label=algorithm,
        )
        right.loglog(
            sizes,
            [cost_model_seconds(algorithm, 16, s, latency, bandwidth) for s in sizes],
            label=algorithm,
        )
    left.set(xlabel="workers N", ylabel="seconds", title="100 MB of gradients")
    right.set(xlabel="bytes per worker S", ylabel="seconds", title="N = 16 workers")
    for ax in (left, right):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(
        f"α-β cost model: latency {latency * 1e6:g} µs, bandwidth {bandwidth / 1e9:g} GB/s"
    )
    fig.tight_layout()
    return fig
