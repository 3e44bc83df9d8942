"""A kernel SVM from scratch: the linear SVM's dual with K(xᵢ, xⱼ) in place of xᵢ·xⱼ.

The soft-margin dual of ``svm_numpy.py`` touches the data only through dot products:

    min_α  ½ Σᵢⱼ αᵢαⱼ yᵢyⱼ K(xᵢ, xⱼ) − Σᵢ αᵢ    subject to 0 ≤ αᵢ ≤ C,  Σᵢ αᵢyᵢ = 0
    f(x) = Σᵢ αᵢyᵢ K(xᵢ, x) + b

with K(x, z) = x·z for the linear SVM. The kernel trick: any K(x, z) = φ(x)·φ(z), a dot
product after some feature map φ, gives the linear SVM in the space of φ(x) — a flat
hyperplane there, a curved boundary in x — and neither the solver nor f ever computes φ. So
the very same SMO (``svm_numpy.smo``) solves it: hand it the kernel matrix Kᵢⱼ = K(xᵢ, xⱼ)
instead of X Xᵀ. The kernels, with scikit-learn's names and parameters:

    linear   K(x, z) = x·z
    poly     K(x, z) = (γ x·z + r)^d          d = ``degree``, r = ``coef0``: φ(x) holds every
                                              monomial of x up to degree d
    rbf      K(x, z) = exp(−γ‖x − z‖²)        φ is infinite-dimensional

Why the RBF kernel bends the boundary: f(x) = Σᵢ αᵢyᵢ exp(−γ‖x − xᵢ‖²) + b is a sum of
Gaussian bumps, one on each support vector, raising f near the +1 class and lowering it near
the −1 class. The boundary f = 0 runs wherever the bumps of the two classes balance, so it
follows the data. γ sets the bump width 1/√(2γ): large γ → narrow bumps, islands around
single points (over-fitting); small γ → wide, overlapping bumps, a nearly straight boundary.
``gamma="scale"`` (scikit-learn's default) is γ = 1 / (n_features · Var(X)), which makes the
kernel ignore the overall scale of X; ``gamma="auto"`` is 1 / n_features.

The solver stores the n × n kernel matrix: O(n²) memory, fine up to a few thousand points
(libsvm computes kernel columns on demand and caches them). The support vectors are the
αᵢ > 0; only they are kept, and f(x) needs K between x and them alone.
"""

import argparse

import numpy as np

import journey
from journey.data import moons
from journey.estimator import BaseEstimator, ClassifierMixin
from journey.validation import (
    check_fitted_input,
    check_float,
    check_int,
    check_option,
    warn_not_converged,
)

svm = journey.load_stage("07", "from_scratch/svm_numpy.py")

STAGE = "07_svm"
KERNELS = ("linear", "poly", "rbf")


def linear_kernel(X: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """K(x, z) = x·z for every row x of X and z of Z: the (n, m) matrix X Zᵀ."""
    return X @ Z.T


def polynomial_kernel(
    X: np.ndarray, Z: np.ndarray, gamma: float, degree: int, coef0: float
) -> np.ndarray:
    """K(x, z) = (γ x·z + r)^d."""
    return (gamma * (X @ Z.T) + coef0) ** degree


def rbf_kernel(X: np.ndarray, Z: np.ndarray, gamma: float) -> np.ndarray:
    """K(x, z) = exp(−γ‖x − z‖²), with ‖x − z‖² = ‖x‖² + ‖z‖² − 2x·z (clipped at 0 against
    rounding)."""
    # BEGIN SOLUTION 07.3
    # task: the RBF kernel matrix exp(−γ‖x − z‖²) for every row x of X and z of Z, no loops
    # hint: squared distances (n, m) = ‖x‖² column + ‖z‖² row − 2 X Zᵀ; clip at 0, then np.exp
    squared = (X**2).sum(axis=1)[:, None] + (Z**2).sum(axis=1)[None, :] - 2.0 * (X @ Z.T)
    return np.exp(-gamma * np.maximum(squared, 0.0))
    # END SOLUTION


def kernel_matrix(X, Z, kernel: str, gamma: float, degree: int, coef0: float) -> np.ndarray:
    """Kᵢⱼ = K(xᵢ, zⱼ) for the named kernel."""
    if kernel == "linear":
        return linear_kernel(X, Z)
    if kernel == "poly":
        return polynomial_kernel(X, Z, gamma, degree, coef0)
    return rbf_kernel(X, Z, gamma)


def resolve_gamma(gamma, X: np.ndarray) -> float:
    """γ as scikit-learn sets it: "scale" → 1 / (n_features · Var(X)) (1 when Var(X) = 0),
    "auto" → 1 / n_features, a number → itself."""
    if gamma == "scale":
        variance = X.var()
        return 1.0 / (X.shape[1] * variance) if variance != 0 else 1.0
    if gamma == "auto":
        return 1.0 / X.shape[1]
    return float(gamma)


class KernelSVC(ClassifierMixin, BaseEstimator):
    """Binary soft-margin kernel SVM with the parameters and attributes of ``sklearn.svm.SVC``.

    Parameters
    ----------
    C : weight of the hinge loss (> 0), the same C as scikit-learn's.
    kernel : "linear", "poly" or "rbf".
    degree : d of the polynomial kernel (an integer ≥ 0).
    gamma : γ of the poly and rbf kernels: "scale", "auto" or a number ≥ 0.
    coef0 : r of the polynomial kernel.
    tol : SMO stops when the maximal KKT violation is below ``tol`` (libsvm's rule).
    max_iter : cap on SMO pair updates; a ``ConvergenceWarning`` says when it was reached.

    Learned attributes, as in ``SVC``: ``support_`` (indices of the αᵢ > 0, in increasing
    order), ``support_vectors_``, ``n_support_`` (per class), ``dual_coef_`` (1, n_SV) holding
    αᵢyᵢ, ``intercept_`` (1,), ``classes_``; also ``gamma_`` (the γ used), ``n_iter_`` and
    ``converged_``.
    """

    def __init__(
        self,
        C: float = 1.0,
        kernel: str = "rbf",
        degree: int = 3,
        gamma="scale",
        coef0: float = 0.0,
        tol: float = 1e-3,
        max_iter: int = 1_000_000,
    ):
        self._store_hyperparameters(locals())

    def fit(self, X, y):
        """Map the two classes to −1/+1 (``classes_[1]`` is +1), build K and run SMO on it."""
        X, self.classes_, signs = svm.binary_signs(self, X, y)
        self._check_kernel_params()
        C, tol, max_iter = svm.check_svm_params(self)
        self.gamma_ = resolve_gamma(self.gamma, X)
        K = self._kernel(X, X)
        alpha, b, self.n_iter_, self.converged_ = svm.smo(K, signs, C, tol, max_iter)
        if not self.converged_:
            warn_not_converged(self, "max_iter", max_iter, f" (tol={tol:g})")
        self.support_ = np.flatnonzero(alpha > 0)
        self.support_vectors_ = X[self.support_]
        self.n_support_ = np.bincount(signs[self.support_] > 0, minlength=2)
        self.dual_coef_ = (alpha * signs)[self.support_][None, :]
        self.intercept_ = np.array([b])
        self.n_features_in_ = X.shape[1]
        return self

    def decision_function(self, X) -> np.ndarray:
        """f(x) = Σᵢ αᵢyᵢ K(svᵢ, x) + b over the support vectors: positive means ``classes_[1]``,
        |f| = 1 on the margin."""
        X = check_fitted_input(self, X, "dual_coef_")
        return self._kernel(X, self.support_vectors_) @ self.dual_coef_[0] + self.intercept_[0]

    def predict(self, X) -> np.ndarray:
        """``classes_[1]`` where f(x) > 0, else ``classes_[0]``."""
        f = self.decision_function(X)
        return self.classes_[(f > 0).astype(int)]

    def _kernel(self, X: np.ndarray, Z: np.ndarray) -> np.ndarray:
        return kernel_matrix(X, Z, self.kernel, self.gamma_, self.degree, self.coef0)

    def _check_kernel_params(self) -> None:
        check_option(self.kernel, "kernel", KERNELS)
        check_int(self.degree, "degree", minimum=0)
        if isinstance(self.gamma, str):
            check_option(self.gamma, "gamma", ("scale", "auto"))
        else:
            check_float(self.gamma, "gamma", minimum=0.0)
        check_float(self.coef0, "coef0")


def circles(n_samples: int, noise: float = 0.1, factor: float = 0.45, seed: int = 0):
    """Two noisy concentric rings (radius 1: class 0, radius ``factor``: class 1), like
    scikit-learn's ``make_circles`` (random angles here): no straight line separates them."""
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples) % 2
    angle = rng.uniform(0.0, 2.0 * np.pi, n_samples)
    ring = np.where(y == 1, factor, 1.0)[:, None] * np.c_[np.cos(angle), np.sin(angle)]
    return ring + rng.normal(0.0, noise, size=(n_samples, 2)), y


def curved_data(n_samples: int, seed: int) -> dict:
    """Moons and circles, each as (X_train, y_train, X_test, y_test) with 1,000 test points."""
    makers = {"moons": moons, "circles": circles}
    return {
        name: (*make(n_samples, seed=seed), *make(1000, seed=seed + 100))
        for name, make in makers.items()
    }


def main() -> None:
    from journey.plotting import pyplot

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], parents=[svm.toy_flags()])
    args = parser.parse_args()
    n_samples = min(args.samples, 100) if journey.is_quick() else args.samples
    models = {
        "linear": KernelSVC(C=args.C, kernel="linear"),
        "poly": KernelSVC(C=args.C, kernel="poly", degree=3, coef0=1.0),
        "rbf": KernelSVC(C=args.C, kernel="rbf"),
    }
    data = curved_data(n_samples, args.seed)
    fig, axes = pyplot().subplots(len(data), len(models), figsize=(13, 8.5))
    for row, (name, (X, y, X_test, y_test)) in zip(axes, data.items(), strict=True):
        for ax, (kernel, model) in zip(row, models.items(), strict=True):
            model.fit(X, y)
            accuracy = model.score(X_test, y_test)
            print(
                f"{name:7s} {kernel:6s} C={args.C:g}: {len(model.support_):3d} support vectors, "
                f"{model.n_iter_:5d} SMO steps, train accuracy {model.score(X, y):.3f}, "
                f"test accuracy {accuracy:.3f}"
            )
            svm.plot_margin(ax, model, X, y, f"{name}, {kernel}: test accuracy {accuracy:.3f}")
    fig.suptitle("KernelSVC: boundary f = 0, margins f = ±1, support vectors circled")
    journey.save_figure(fig, STAGE, "kernel_svm_scratch")


if __name__ == "__main__":
    main()
