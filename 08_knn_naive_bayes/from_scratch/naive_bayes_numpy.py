"""Gaussian naive Bayes from scratch: class priors, per-class means and variances, log space.

Bayes' rule gives the posterior of class c for a sample x = (x₁, …, x_d):

    P(c | x) = P(c) · p(x | c) / p(x)

The *naive* assumption: given the class, the features are independent, each Gaussian
with its own mean θ_cj and variance σ²_cj, so p(x | c) = Πⱼ N(xⱼ; θ_cj, σ²_cj).

Fitting is counting and averaging (maximum likelihood):

    P(c) = n_c / n        θ_cj = mean of feature j over class c
    σ²_cj = (1/n_c) Σ (xᵢⱼ − θ_cj)² + ε,     ε = var_smoothing · maxⱼ Var(feature j)

ε (scikit-learn's rule) keeps a feature that is constant inside a class (σ² = 0, e.g. a
pixel that is always blank in the digits) from dividing by zero.

Predicting works in log space: a product of 64 small densities underflows to 0, its log
does not. The joint log likelihood is

    jll_c(x) = log P(c) − ½ Σⱼ log(2π σ²_cj) − ½ Σⱼ (xⱼ − θ_cj)² / σ²_cj

and the posterior is a softmax over classes, computed with the log-sum-exp trick
(subtract the row maximum before exponentiating):

    log P(c | x) = jll_c(x) − log Σ_c' exp(jll_c'(x))
"""

import argparse

import numpy as np

from journey.estimator import BaseEstimator, ClassifierMixin
from journey.validation import check_classification_data, check_fitted_input, check_float

STAGE = "08_knn_naive_bayes"


def logsumexp(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """log Σ exp(a) along ``axis``, without overflow: m + log Σ exp(a − m), m = max(a)."""
    m = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(a - m), axis=axis))


class GaussianNB(ClassifierMixin, BaseEstimator):
    """Gaussian naive Bayes with scikit-learn's parameters and learned attributes.

    Parameters
    ----------
    var_smoothing : fraction of the largest feature variance added to every variance.

    Learned attributes: ``classes_``, ``class_count_``, ``class_prior_`` (K,), ``theta_``
    and ``var_`` (K × d), ``epsilon_``, ``n_features_in_``.
    """

    def __init__(self, var_smoothing: float = 1e-9):
        self.var_smoothing = var_smoothing

    def fit(self, X, y):
        """Priors, means and variances per class: one pass per class, vectorised over samples."""
        X, self.classes_, y_index = check_classification_data(X, y)
        check_float(self.var_smoothing, "var_smoothing", minimum=0.0)
        # BEGIN SOLUTION 08.5
        # task: ε, and each class's count, prior, feature means and variances (plus ε)
        # hint: ε = var_smoothing · max_j Var(X_j); per class X[y == c].mean(0), .var(0) + ε, n_c/n
        members = [X[y_index == c] for c in range(len(self.classes_))]
        self.epsilon_ = self.var_smoothing * np.max(np.var(X, axis=0))
        self.theta_ = np.stack([Xc.mean(axis=0) for Xc in members])
        self.var_ = np.stack([Xc.var(axis=0) for Xc in members]) + self.epsilon_
        self.class_count_ = np.array([len(Xc) for Xc in members], dtype=np.float64)
        self.class_prior_ = self.class_count_ / self.class_count_.sum()
        # END SOLUTION
        self.n_features_in_ = X.shape[1]
        return self

    def joint_log_likelihood(self, X) -> np.ndarray:
        """jll_c(x) = log P(c) − ½ Σⱼ log(2π σ²_cj) − ½ Σⱼ (xⱼ − θ_cj)² / σ²_cj, shape (n, K)."""
        X = check_fitted_input(self, X, "theta_")
        # BEGIN SOLUTION 08.6
        # task: the joint log likelihood log P(c) + Σ_j log N(x_j; θ_cj, σ²_cj) of every x and c
        # hint: log P(c) − ½ Σ_j log(2π σ²_cj) − ½ Σ_j (x_j − θ_cj)² / σ²_cj, one class at a time
        log_norm = -0.5 * np.sum(np.log(2.0 * np.pi * self.var_), axis=1)
        # one (n × d) pass per class: an (n × K × d) broadcast would need K times the memory
        mahalanobis = np.stack(
            [
                np.sum((X - mean) ** 2 / var, axis=1)
                for mean, var in zip(self.theta_, self.var_, strict=True)
            ],
            axis=1,
        )
        return np.log(self.class_prior_) + log_norm - 0.5 * mahalanobis
        # END SOLUTION

    def predict_log_proba(self, X) -> np.ndarray:
        """log P(c | x): the joint log likelihood normalised by log-sum-exp over classes."""
        jll = self.joint_log_likelihood(X)
        return jll - logsumexp(jll, axis=1)[:, None]

    def predict_proba(self, X) -> np.ndarray:
        """P(c | x), columns in the order of ``classes_``."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        """The class with the largest posterior (= the largest joint log likelihood)."""
        jll = self.joint_log_likelihood(X)
        return self.classes_[np.argmax(jll, axis=1)]


def iris_regions_figure(seed: int, var_smoothing: float):
    """Decision regions and max-posterior contours on two standardised iris features."""
    from journey.data import standardised_split
    from journey.plotting import pyplot

    X_train, _, y_train, _ = standardised_split("iris", seed=seed)
    X2 = X_train[:, [2, 3]]
    model = GaussianNB(var_smoothing=var_smoothing).fit(X2, y_train)
    lo, hi = X2.min(axis=0) - 0.5, X2.max(axis=0) + 0.5
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
    proba = model.predict_proba(np.c_[g0.ravel(), g1.ravel()])
    fig, ax = pyplot().subplots(figsize=(6, 4.5))
    regions = proba.argmax(axis=1).reshape(g0.shape)
    ax.contourf(g0, g1, regions, alpha=0.25, levels=[-0.5, 0.5, 1.5, 2.5], cmap="viridis")
    confidence = proba.max(axis=1).reshape(g0.shape)
    ax.contour(g0, g1, confidence, levels=[0.6, 0.9, 0.99], colors="k", linewidths=0.6)
    ax.scatter(X2[:, 0], X2[:, 1], c=y_train, cmap="viridis", edgecolor="k", s=20)
    ax.set_xlabel("petal length (standardised)")
    ax.set_ylabel("petal width (standardised)")
    ax.set_title("Gaussian NB (scratch) on iris: regions and max-posterior contours")
    return fig


def main() -> None:
    import journey
    from journey.data import standardised_split

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the train/test split")
    parser.add_argument(
        "--var-smoothing", type=float, default=1e-9, help="ε as a fraction of the largest variance"
    )
    args = parser.parse_args()

    quick = journey.is_quick()
    datasets = ("iris", "wine") if quick else ("iris", "wine", "breast_cancer", "digits")
    for name in datasets:
        X_train, X_test, y_train, y_test = standardised_split(name, seed=args.seed)
        model = GaussianNB(var_smoothing=args.var_smoothing).fit(X_train, y_train)
        accuracy = model.score(X_test, y_test)
        print(f"{name:14s} {len(model.classes_)} classes  test accuracy {accuracy:.4f}")
    fig = iris_regions_figure(args.seed, args.var_smoothing)
    journey.save_figure(fig, STAGE, "gaussian_nb_iris")


if __name__ == "__main__":
    main()
