"""Support vector machines with scikit-learn: the linear margin, then RBF kernels on curved data.

1. ``SVC(kernel="linear")`` on separable toy data: the boundary w·x + b = 0, the margins
   w·x + b = ±1 (width 2/‖w‖) and the support vectors, the only points that decide them.
2. Linear, polynomial and RBF kernels on data no line can split (moons, circles). The kernel
   replaces every dot product x·x' of the dual: (γ x·x' + r)^d or exp(−γ‖x − x'‖²) lets the
   same margin machinery draw curved boundaries.
3. A C × γ grid: C trades margin width for training errors, γ sets how far one training
   point's influence reaches (large γ → wiggly, over-fitted islands; small γ → nearly linear).

Features are standardised inside a ``Pipeline`` (an RBF kernel measures distances, so the
scale of each feature matters), and every score is on a held-out test split.
"""

import argparse

import numpy as np
import pandas as pd
from sklearn.datasets import make_circles
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import journey
from journey.data import moons, two_blobs
from journey.plotting import pyplot

STAGE = "07_svm"


def curved_datasets(n_samples: int, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Two classic sets that no straight line separates."""
    return {
        "moons": moons(n_samples, noise=0.2, seed=seed),
        "circles": make_circles(n_samples, noise=0.1, factor=0.45, random_state=seed),
    }


def decision_grid(X: np.ndarray, steps: int):
    """A mesh covering the data (plus a border) for drawing decision regions."""
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    return np.meshgrid(np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps))


def plot_regions(ax, model, X, y, steps: int, title: str) -> None:
    """Filled decision regions, the boundary f = 0, the margins f = ±1, the points and the
    support vectors (circled; ``model`` is a scaler + SVC pipeline, so they are mapped back
    from the scaled space the SVC saw)."""
    g0, g1 = decision_grid(X, steps)
    f = model.decision_function(np.c_[g0.ravel(), g1.ravel()]).reshape(g0.shape)
    ax.contourf(g0, g1, f > 0, levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.25)
    ax.contour(g0, g1, f, levels=[-1, 0, 1], colors="k", linestyles=["--", "-", "--"], linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolor="k", s=12)
    sv = model[0].inverse_transform(model[-1].support_vectors_)
    ax.scatter(sv[:, 0], sv[:, 1], s=45, facecolors="none", edgecolors="k", linewidths=0.8)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def linear_margin_figure(n_samples: int, seed: int):
    """``SVC(kernel="linear")`` on separable blobs: boundary, margins and support vectors."""
    X, y = two_blobs(n_samples, separation=5.0, seed=seed)
    model = SVC(kernel="linear", C=1.0).fit(X, y)
    w, b = model.coef_[0], model.intercept_[0]
    margin = 2.0 / np.linalg.norm(w)
    print(
        f"linear SVC on separable blobs: w = {np.round(w, 4)}, b = {b:.4f}, "
        f"margin 2/‖w‖ = {margin:.4f}, {len(model.support_)} support vectors of {len(X)} points"
    )
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    g0, g1 = decision_grid(X, 200)
    f = model.decision_function(np.c_[g0.ravel(), g1.ravel()]).reshape(g0.shape)
    ax.contourf(
        g0, g1, f, levels=[-np.inf, -1, 1, np.inf], colors=["#cfe0ff", "#f4f4f4", "#ffd6cf"]
    )
    ax.contour(g0, g1, f, levels=[-1, 0, 1], colors="k", linestyles=["--", "-", "--"], linewidths=1)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolor="k", s=20)
    sv = model.support_vectors_
    ax.scatter(
        sv[:, 0],
        sv[:, 1],
        s=160,
        facecolors="none",
        edgecolors="k",
        linewidths=1.5,
        label=f"support vectors ({len(sv)})",
    )
    ax.set_aspect("equal")
    ax.set_title(f"SVC(kernel='linear', C=1): margin width {margin:.3f}")
    ax.legend(loc="upper left")
    journey.save_figure(fig, STAGE, "svc_linear_margin")


def kernel_comparison(data: dict, seed: int, steps: int) -> pd.DataFrame:
    """Linear, polynomial and RBF kernels on each curved set: test accuracy table and
    decision-region figure."""
    kernels = {
        "linear": SVC(kernel="linear", C=1.0),
        "poly": SVC(kernel="poly", C=1.0, degree=3, gamma="scale", coef0=1.0),
        "rbf": SVC(kernel="rbf", C=1.0, gamma="scale"),
    }
    plt = pyplot()
    fig, axes = plt.subplots(len(data), len(kernels), figsize=(4 * len(kernels), 4 * len(data)))
    rows = []
    for row, (name, (X, y)) in zip(axes, data.items(), strict=True):
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, random_state=seed, stratify=y
        )
        for ax, (kernel, svc) in zip(row, kernels.items(), strict=True):
            model = make_pipeline(StandardScaler(), svc).fit(X_train, y_train)
            rows.append(
                {
                    "dataset": name,
                    "kernel": kernel,
                    "train accuracy": model.score(X_train, y_train),
                    "test accuracy": model.score(X_test, y_test),
                    "support vectors": int(svc.n_support_.sum()),
                }
            )
            plot_regions(
                ax,
                model,
                X,
                y,
                steps,
                f"{name}, {kernel} kernel: test accuracy {rows[-1]['test accuracy']:.3f}",
            )
    journey.save_figure(fig, STAGE, "svc_kernels_moons_circles")
    return pd.DataFrame(rows)


def c_gamma_grid(X, y, Cs, gammas, seed: int, steps: int) -> pd.DataFrame:
    """RBF SVC for every (C, γ): decision regions as small multiples, test accuracy in titles."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y
    )
    plt = pyplot()
    fig, axes = plt.subplots(len(Cs), len(gammas), figsize=(3 * len(gammas), 3 * len(Cs)))
    scores = pd.DataFrame(
        index=pd.Index(Cs, name="C"), columns=pd.Index(gammas, name="gamma"), dtype=float
    )
    for i, C in enumerate(Cs):
        for j, gamma in enumerate(gammas):
            model = make_pipeline(StandardScaler(), SVC(kernel="rbf", C=C, gamma=gamma)).fit(
                X_train, y_train
            )
            scores.loc[C, gamma] = model.score(X_test, y_test)
            plot_regions(
                axes[i, j],
                model,
                X_train,
                y_train,
                steps,
                f"C={C:g}, γ={gamma:g}: test {scores.loc[C, gamma]:.2f}",
            )
    fig.suptitle("RBF SVC on moons: C (rows) × γ (columns)")
    journey.save_figure(fig, STAGE, "svc_rbf_C_gamma_grid")
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=400, help="points per toy data set")
    parser.add_argument("--seed", type=int, default=0, help="seed of the toy data and the splits")
    args = parser.parse_args()
    quick = journey.is_quick()
    n_samples, steps = (200, 80) if quick else (args.samples, 200)

    linear_margin_figure(n_samples, args.seed)
    data = curved_datasets(n_samples, args.seed)
    table = kernel_comparison(data, args.seed, steps)
    print(table.to_string(index=False, float_format="%.3f"))
    Cs, gammas = (
        ((0.1, 10.0, 1000.0), (0.1, 1.0, 50.0))
        if quick
        else ((0.1, 1.0, 10.0, 1000.0), (0.1, 1.0, 10.0, 50.0))
    )
    scores = c_gamma_grid(*data["moons"], Cs, gammas, args.seed, steps)
    print("RBF SVC on moons, test accuracy for C (rows) × gamma (columns):")
    print(scores.to_string(float_format="%.3f"))


if __name__ == "__main__":
    main()
