"""Figures for the MLP stage, shared by the NumPy and PyTorch scripts and the notebook.

``plot_decision_regions`` colours the plane with any model's ``predict``; ``plot_loss_curves``
overlays training curves. Not a script: load it with
``journey.load_stage("04", "from_scratch/_mlp_figures.py")``.
"""

import numpy as np

from journey.plotting import pyplot


def plot_decision_regions(ax, predict, X, y, title: str, resolution: int = 200) -> None:
    """Colour the plane by ``predict`` (any model's) and scatter the samples on top."""
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xx, yy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    zz = predict(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
    n_classes = int(max(y.max(), zz.max())) + 1
    ax.contourf(xx, yy, zz, levels=np.arange(n_classes + 1) - 0.5, cmap="coolwarm", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolor="k", s=18)
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), title=title, xlabel="x₁", ylabel="x₂")


def plot_loss_curves(curves: dict, title: str):
    """One line per named loss curve (mean training loss per epoch)."""
    fig, ax = pyplot().subplots(figsize=(6, 3.8))
    for (name, curve), style in zip(curves.items(), ["-", "--", ":", "-."], strict=False):
        ax.plot(np.arange(1, len(curve) + 1), curve, ls=style, lw=2, label=name)
    ax.set(xlabel="epoch", ylabel="mean training cross-entropy", yscale="log", title=title)
    ax.legend()
    fig.tight_layout()
    return fig
