"""A linear soft-margin SVM from scratch: the hinge-loss primal, solved exactly by SMO on its dual.

The model is f(x) = w·x + b, predicting the class by the sign of f. With labels yᵢ ∈ {−1, +1}
the soft-margin SVM minimises (the objective scikit-learn's ``SVC`` uses, same ``C``)

    P(w, b) = ½‖w‖² + C Σᵢ max(0, 1 − yᵢ(w·xᵢ + b))

½‖w‖² asks for a wide margin (the strip |f(x)| < 1 has width 2/‖w‖); the hinge term charges
every point that is inside the strip or on the wrong side. Large C → few violations (hard
margin as C → ∞); small C → wider margin, more violations tolerated.

Two solvers of that same objective:

1. ``solver="subgradient"`` — the primal directly. The hinge is not differentiable at the
   kink, but a subgradient is
       ∂P/∂w = w − C Σ_{yᵢfᵢ<1} yᵢxᵢ        ∂P/∂b = −C Σ_{yᵢfᵢ<1} yᵢ
   P is 1-strongly convex in w, so the step ηₜ = 1/t converges; slowly (roughly as 1/t), and the
   objective is not monotone, so the best iterate seen is kept. Easy to read, imprecise.

2. ``solver="smo"`` (default) — the Lagrange dual, which has the same optimum:
       min_α  ½ Σᵢⱼ αᵢαⱼ yᵢyⱼ xᵢ·xⱼ − Σᵢ αᵢ    subject to 0 ≤ αᵢ ≤ C,  Σᵢ αᵢyᵢ = 0
   and w = Σᵢ αᵢyᵢxᵢ. Sequential minimal optimisation (Platt 1998, with the maximal-violating-
   pair rule of Keerthi et al. 2001, as in libsvm which ``SVC`` wraps) changes two αs at a
   time, so that Σ αᵢyᵢ stays 0, and solves that 2-variable problem in closed form. With
   eᵢ = yᵢ − w·xᵢ, the optimality (KKT) conditions say there is a b (the intercept) with

       eᵢ ≤ b  for i in I_up,   eᵢ ≥ b  for i in I_low

   where I_up = {αᵢ < C, yᵢ = +1} ∪ {αᵢ > 0, yᵢ = −1} are the points whose αᵢyᵢ can still
   grow and I_low = {αᵢ < C, yᵢ = −1} ∪ {αᵢ > 0, yᵢ = +1} those whose αᵢyᵢ can still shrink.
   (For yᵢ = +1, αᵢ = 0 this reads w·xᵢ + b ≥ 1: outside the margin.) Each step picks the
   worst pair i = argmax_{I_up} eᵢ, j = argmin_{I_low} eⱼ and stops when the violation
   eᵢ − eⱼ < tol: the same stopping rule, and tolerance meaning, as ``SVC(tol=…)``.
   SMO sees the data only through the Gram matrix Kᵢⱼ = xᵢ·xⱼ: w·xᵢ = Σⱼ αⱼyⱼKᵢⱼ. Moving
   αᵢ += yᵢt, αⱼ −= yⱼt changes every w·xₖ by t(Kₖᵢ − Kₖⱼ); the dual is a parabola in t with
   minimum at t = (eᵢ − eⱼ)/(Kᵢᵢ + Kⱼⱼ − 2Kᵢⱼ) (= ‖xᵢ − xⱼ‖²), clipped so both αs stay in
   [0, C]. Every step is O(n) NumPy, but ``LinearSVM`` builds the whole n × n Gram matrix X Xᵀ
   first: O(n²) memory, fine up to a few thousand points. Any other kernel matrix K gives the
   kernel SVM (``kernel_svm_numpy.py``) with this very function.

After SMO: b is the average of eᵢ over the *free* support vectors (0 < αᵢ < C, which lie
exactly on the margin, yᵢfᵢ = 1). Points with αᵢ = C are inside the margin or misclassified
(yᵢfᵢ ≤ 1); points with αᵢ = 0 are outside (yᵢfᵢ ≥ 1). The support vectors are the αᵢ > 0.
"""

import argparse

import numpy as np

from journey.data import two_blobs
from journey.estimator import BaseEstimator, ClassifierMixin
from journey.validation import (
    check_classification_data,
    check_fitted_input,
    check_float,
    check_int,
    check_is_fitted,
    check_option,
    warn_not_converged,
)

STAGE = "07_svm"
SOLVERS = ("smo", "subgradient")
SEPARATIONS = {"separable": 5.0, "overlapping": 2.8}  # two_blobs centres at ±s/2 on each axis


def hinge_objective(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, C: float) -> float:
    """P(w, b) = ½‖w‖² + C Σ max(0, 1 − yᵢ(w·xᵢ + b)) with labels y in {−1, +1}."""
    return float(0.5 * w @ w + C * np.sum(np.maximum(0.0, 1.0 - y * (X @ w + b))))


def dual_objective(alpha: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """D(α) = Σ αᵢ − ½‖Σ αᵢyᵢxᵢ‖²; at the optimum D = P (no duality gap)."""
    w = (alpha * y) @ X
    return float(alpha.sum() - 0.5 * w @ w)


def hinge_subgradient(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, C: float):
    """A subgradient (∂P/∂w, ∂P/∂b) of the primal: only the points with yᵢfᵢ < 1 contribute."""
    # BEGIN SOLUTION 07.1
    # task: the hinge subgradient: ∂P/∂w = w − C Σ yᵢxᵢ and ∂P/∂b = −C Σ yᵢ over yᵢfᵢ < 1
    # hint: a boolean mask of the points with yᵢ(w·xᵢ + b) < 1; y[mask] @ X[mask] is Σ yᵢxᵢ
    violating = y * (X @ w + b) < 1.0
    grad_w = w - C * (y[violating] @ X[violating])
    grad_b = -C * np.sum(y[violating])
    return grad_w, grad_b
    # END SOLUTION


def subgradient_descent(X: np.ndarray, y: np.ndarray, C: float, max_iter: int):
    """Minimise the primal by subgradient steps ηₜ = 1/t. Returns (w, b, objective history)."""
    w, b = np.zeros(X.shape[1]), 0.0
    best = (w.copy(), b, hinge_objective(w, b, X, y, C))
    history = []
    for t in range(1, max_iter + 1):
        grad_w, grad_b = hinge_subgradient(w, b, X, y, C)
        w, b = w - grad_w / t, b - grad_b / t
        objective = hinge_objective(w, b, X, y, C)
        history.append(objective)
        if objective < best[2]:
            best = (w.copy(), b, objective)
    return best[0], best[1], np.array(history)


def subgradient_settled(history: np.ndarray, tol: float) -> bool:
    """Whether the best objective stopped improving: by less than ``tol`` (relative) over the
    second half of the run. With an error that shrinks like 1/t, that improvement is about
    the distance still left to the optimum."""
    half = len(history) // 2
    if half == 0:
        return False
    earlier, best = history[:half].min(), history.min()
    return bool(earlier - best <= tol * max(best, 1e-300))


def smo(K: np.ndarray, y: np.ndarray, C: float, tol: float, max_iter: int):
    """Solve the dual with kernel matrix K by SMO with maximal violating pairs.

    Returns (α, b, steps, converged); the linear SVM passes K = X Xᵀ."""
    alpha = np.zeros(len(y))
    f = np.zeros(len(y))  # fₖ = Σⱼ αⱼyⱼKₖⱼ, the decision function without b, kept up to date
    positive = y > 0
    steps = 0
    while True:
        e = y - f
        up = np.where(positive, alpha < C, alpha > 0)
        low = np.where(positive, alpha > 0, alpha < C)
        i = np.argmax(np.where(up, e, -np.inf))
        j = np.argmin(np.where(low, e, np.inf))
        gap = e[i] - e[j]
        if gap < tol or steps == max_iter:
            break
        # BEGIN SOLUTION 07.2
        # task: the SMO step: t clipped by room_i and room_j, then αᵢ += yᵢt and αⱼ −= yⱼt
        # hint: t = min(gap / (Kᵢᵢ + Kⱼⱼ − 2Kᵢⱼ), room_i, room_j), the moves αᵢ, αⱼ have in [0, C]
        curvature = max(float(K[i, i] + K[j, j] - 2.0 * K[i, j]), 1e-12)
        room_i = C - alpha[i] if positive[i] else alpha[i]
        room_j = alpha[j] if positive[j] else C - alpha[j]
        t = min(gap / curvature, room_i, room_j)
        alpha[i] += y[i] * t
        alpha[j] -= y[j] * t
        # END SOLUTION
        if t == room_i:  # land exactly on the bound, not one rounding off
            alpha[i] = C if positive[i] else 0.0
        if t == room_j:
            alpha[j] = 0.0 if positive[j] else C
        f += t * (K[i] - K[j])  # K is symmetric: row i is column i
        steps += 1
    alpha = np.clip(alpha, 0.0, C)
    f = K @ (alpha * y)  # recompute: no drift from the running updates
    return alpha, intercept(alpha, y - f, y, C), steps, bool(gap < tol)


def intercept(alpha: np.ndarray, e: np.ndarray, y: np.ndarray, C: float) -> float:
    """b from the KKT conditions: eᵢ = b on free support vectors (0 < αᵢ < C), averaged;
    without free ones, the middle of [max_{I_up} e, min_{I_low} e] (libsvm's choice)."""
    free = (alpha > 0) & (alpha < C)
    if free.any():
        return float(e[free].mean())
    positive = y > 0
    up = np.where(positive, alpha < C, alpha > 0)
    low = np.where(positive, alpha > 0, alpha < C)
    return float((e[up].max() + e[low].min()) / 2)


class LinearSVM(ClassifierMixin, BaseEstimator):
    """Binary linear soft-margin SVM with the interface of ``SVC(kernel="linear")``.

    Parameters
    ----------
    C : weight of the hinge loss (> 0), the same C as scikit-learn's.
    solver : "smo" (exact, the default) or "subgradient" (primal, approximate).
    tol : SMO stops when the maximal KKT violation eᵢ − eⱼ is below ``tol`` (libsvm's rule);
          the subgradient run counts as converged when its best objective improved by less
          than ``tol`` (relative) over its second half.
    max_iter : cap on SMO pair updates or subgradient steps; a ``ConvergenceWarning`` says
               when it was reached before convergence.

    Learned attributes: ``coef_`` (1, d) and ``intercept_`` (1,) as in ``SVC``, ``classes_``;
    for SMO also ``dual_coef_`` (αᵢyᵢ of the support vectors), ``support_``,
    ``support_vectors_``; ``n_iter_``, ``converged_``; ``objective_`` = P(w, b) at the solution.
    """

    def __init__(
        self, C: float = 1.0, solver: str = "smo", tol: float = 1e-3, max_iter: int = 1_000_000
    ):
        self._store_hyperparameters(locals())

    def fit(self, X, y):
        """Map the two classes to −1/+1 (``classes_[1]`` is +1, as in ``SVC``) and solve."""
        X, self.classes_, signs = binary_signs(self, X, y)
        check_option(self.solver, "solver", SOLVERS)
        C, tol, max_iter = check_svm_params(self)
        if self.solver == "smo":
            alpha, b, self.n_iter_, self.converged_ = smo(X @ X.T, signs, C, tol, max_iter)
            w = (alpha * signs) @ X
            self.support_ = np.flatnonzero(alpha > 0)
            self.support_vectors_ = X[self.support_]
            self.dual_coef_ = (alpha * signs)[self.support_][None, :]
        else:
            w, b, self.objective_history_ = subgradient_descent(X, signs, C, max_iter)
            self.n_iter_ = max_iter
            self.converged_ = subgradient_settled(self.objective_history_, tol)
        if not self.converged_:
            warn_not_converged(self, "max_iter", max_iter, f" ({self.solver}, tol={tol:g})")
        self.coef_, self.intercept_ = w[None, :], np.array([b])
        self.objective_ = hinge_objective(w, b, X, signs, C)
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X) -> np.ndarray:
        """f(x) = w·x + b: positive means ``classes_[1]``; |f| = 1 on the margin."""
        X = check_fitted_input(self, X, "coef_")
        return X @ self.coef_[0] + self.intercept_[0]

    def predict(self, X) -> np.ndarray:
        """``classes_[1]`` where f(x) > 0, else ``classes_[0]``."""
        f = self.decision_function(X)
        return self.classes_[(f > 0).astype(int)]

    def margin_width(self) -> float:
        """Width of the strip |f(x)| ≤ 1: 2/‖w‖."""
        check_is_fitted(self, "coef_")
        return float(2.0 / np.linalg.norm(self.coef_))

    def on_or_inside_margin(self, X, y, tol: float = 1e-6) -> np.ndarray:
        """Indices of the points with yᵢ f(xᵢ) ≤ 1 + tol: the support vectors at the optimum."""
        f = self.decision_function(X)
        y = np.asarray(y)
        if y.shape != f.shape:
            raise ValueError(f"y must have one label per row of X: shape {f.shape}, got {y.shape}")
        return np.flatnonzero(np.where(y == self.classes_[1], 1.0, -1.0) * f <= 1.0 + tol)


# --- the checks both SVMs (linear and kernel) start fit with ----------------------------------


def binary_signs(model, X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X, ``classes_`` and the labels as signs yᵢ ∈ {−1, +1} (+1 is ``classes_[1]``, as in
    ``SVC``); anything but exactly two classes is refused."""
    X, classes, codes = check_classification_data(X, y)
    if len(classes) != 2:
        raise ValueError(
            f"{type(model).__name__} is a binary classifier: y has {len(classes)} classes "
            f"({classes[:5]}); train one model per pair of classes instead"
        )
    return X, classes, 2.0 * codes - 1.0


def check_svm_params(model) -> tuple[float, float, int]:
    """The hyper-parameters both SVMs have: C > 0, tol > 0, max_iter ≥ 1."""
    C = check_float(model.C, "C", minimum=0.0, strict_minimum=True)
    tol = check_float(model.tol, "tol", minimum=0.0, strict_minimum=True)
    return C, tol, check_int(model.max_iter, "max_iter", minimum=1)


def toy_data(kind: str, n_samples: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two seeded Gaussian clouds in 2-D (labels 0/1, ``journey.data.two_blobs``):
    ``"separable"`` (centres 7 apart: linearly separable) or ``"overlapping"`` (centres 4
    apart: about 3 % of the points on the wrong side)."""
    if kind not in SEPARATIONS:
        raise ValueError(f"kind must be one of {tuple(SEPARATIONS)}, got {kind!r}")
    return two_blobs(n_samples, separation=SEPARATIONS[kind], seed=seed)


def plot_margin(ax, model: LinearSVM, X, y, title: str) -> None:
    """Decision regions (shaded), the points, the boundary f = 0, the margins f = ±1 and the
    support vectors (circled)."""
    lo, hi = X.min(axis=0) - 1, X.max(axis=0) + 1
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    f = model.decision_function(np.c_[g0.ravel(), g1.ravel()]).reshape(g0.shape)
    ax.contourf(g0, g1, f > 0, levels=[-0.5, 0.5, 1.5], cmap="coolwarm", alpha=0.2)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolor="k", s=22)
    ax.contour(g0, g1, f, levels=[-1, 0, 1], colors="k", linestyles=["--", "-", "--"], linewidths=1)
    if hasattr(model, "support_"):
        sv = model.support_vectors_
        ax.scatter(sv[:, 0], sv[:, 1], s=110, facecolors="none", edgecolors="k", linewidths=1.2)
    ax.set_aspect("equal")
    ax.set_title(title)


def toy_flags() -> argparse.ArgumentParser:
    """The flags of both SVM scripts (this one and ``kernel_svm_numpy.py``), as a parent parser."""
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument("--C", type=float, default=1.0, help="hinge-loss weight C (default: 1.0)")
    flags.add_argument(
        "--samples", type=int, default=200, help="training points per data set (default: 200)"
    )
    flags.add_argument("--seed", type=int, default=0, help="seed of the toy data (default: 0)")
    return flags


def fit_both_solvers(kind: str, C: float, n_samples: int, seed: int, steps: int):
    """SMO (tol 1e-6) and ``steps`` subgradient steps on one toy set; prints what they found."""
    X, y = toy_data(kind, n_samples, seed=seed)
    exact = LinearSVM(C=C, tol=1e-6).fit(X, y)
    rough = LinearSVM(C=C, solver="subgradient", max_iter=steps).fit(X, y)
    print(
        f"{kind:11s} SMO: {exact.n_iter_} pair steps, P = {exact.objective_:.6f}, "
        f"margin {exact.margin_width():.4f}, {len(exact.support_)} support vectors, "
        f"train accuracy {exact.score(X, y):.3f}"
    )
    print(
        f"{'':11s} subgradient: {steps} steps, P = {rough.objective_:.6f} "
        f"({rough.objective_ / exact.objective_ - 1:+.2e} relative), "
        f"margin {rough.margin_width():.4f}"
    )
    return X, y, exact, rough


def main() -> None:
    import journey
    from journey.plotting import pyplot

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[toy_flags()])
    args = parser.parse_args()
    steps = 2_000 if journey.is_quick() else 20_000

    fig, axes = pyplot().subplots(1, 3, figsize=(15, 4.5))
    for ax, kind in zip(axes[:2], ("separable", "overlapping"), strict=True):
        X, y, exact, rough = fit_both_solvers(kind, args.C, args.samples, args.seed, steps)
        title = f"{kind}, C={args.C:g}: margin {exact.margin_width():.3f}"
        plot_margin(ax, exact, X, y, f"{title}, {len(exact.support_)} SVs")
        gap = rough.objective_history_ / exact.objective_ - 1
        axes[2].loglog(np.arange(1, steps + 1), gap, label=kind)
    axes[2].set_xlabel("subgradient step t")
    axes[2].set_ylabel("P(w_t, b_t) / P* − 1")
    axes[2].set_title("subgradient descent vs the SMO optimum P*")
    axes[2].legend()
    journey.save_figure(fig, STAGE, "svm_scratch_margins")


if __name__ == "__main__":
    main()
