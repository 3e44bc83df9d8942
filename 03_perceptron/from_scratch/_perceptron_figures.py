"""Figures for the perceptron stage: decision lines and mistakes per epoch.

Shared by ``perceptron_numpy.py`` and the notebook. Not a script: load it with
``journey.load_stage("03", "from_scratch/_perceptron_figures.py")``.
"""

import numpy as np

from journey.plotting import pyplot


def _draw_line(ax, w, b, lo, hi, **style) -> None:
    """Draw w·x + b = 0 (nothing when w = 0: then there is no line at all)."""
    if w[1] != 0:
        xs = np.array([lo[0], hi[0]])
        ax.plot(xs, -(w[0] * xs + b) / w[1], **style)
    elif w[0] != 0:
        ax.axvline(-b / w[0], **style)


def plot_decision_line(ax, model, X, y, title: str) -> None:
    """Scatter the two classes and draw the learned line w·x + b = 0 with its positive side.

    For a fit that did not converge, the lines visited during its last epoch are drawn
    dashed: each update fixes the sample it got wrong and breaks another one.
    """
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    zz = (model.decision_function(np.c_[xx.ravel(), yy.ravel()]) > 0).reshape(xx.shape)
    ax.contourf(xx, yy, zz, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"], alpha=0.6)
    if not model.converged_:
        last_epoch = model.path_[-model.mistakes_[-1] :]
        for k, (coef, intercept) in enumerate(last_epoch, start=1):
            _draw_line(
                ax,
                coef[0],
                intercept[0],
                lo,
                hi,
                color="0.45",
                ls="--",
                lw=1,
                label=f"after update {k}",
            )
    _draw_line(ax, model.coef_[0], model.intercept_[0], lo, hi, color="k", lw=1.5)
    ax.scatter(X[y == 0, 0], X[y == 0, 1], c="#d62728", marker="o", edgecolor="k", label="0")
    ax.scatter(X[y == 1, 0], X[y == 1, 1], c="#1f77b4", marker="s", edgecolor="k", label="1")
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), title=title, xlabel="x₁", ylabel="x₂")


def plot_gates(models: dict, data: dict):
    """Decision lines for every gate/data set, one panel each."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(models), figsize=(4 * len(models), 3.8))
    for ax, (name, model) in zip(np.atleast_1d(axes), models.items(), strict=True):
        X, y = data[name]
        verdict = f"converged in {model.n_iter_} epochs" if model.converged_ else "FAILED (cycles)"
        w, b = np.round(model.coef_[0], 2), round(float(model.intercept_[0]), 2)
        title = f"{name}: {verdict}, {model.score(X, y):.0%} acc.\nw = {w.tolist()}, b = {b}"
        plot_decision_line(ax, model, X, y, title)
        if not model.converged_:
            ax.legend(loc="upper center", fontsize=8)
    fig.tight_layout()
    return fig


def plot_mistakes(models: dict):
    """Mistakes per epoch: separable sets drop to zero, XOR never does."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    horizon = max(model.n_iter_ for model in models.values())
    for name, model in models.items():
        (line,) = ax.plot(np.arange(1, model.n_iter_ + 1), model.mistakes_, marker="o", label=name)
        if model.cycle_ is not None:
            start, period = model.cycle_
            later = np.arange(model.n_iter_ + 1, horizon + 1)
            repeated = [model.mistakes_[start + (e - start - 1) % period] for e in later]
            ax.plot(
                np.r_[model.n_iter_, later],
                np.r_[model.mistakes_[-1], repeated],
                ls=":",
                color=line.get_color(),
                label=f"{name}: the cycle repeats forever",
            )
    ax.set(
        xlabel="epoch",
        ylabel="mistakes (updates) in the epoch",
        title="Perceptron errors per epoch",
    )
    ax.legend()
    fig.tight_layout()
    return fig
