"""Gradient boosting from scratch: small regression trees fitted, one after another, to the
negative gradient of the loss.

The model is a sum F(x) = F₀ + ν Σ_m h_m(x) of shallow trees h_m with learning rate ν
("shrinkage"). Boosting is gradient descent in function space: at stage m, for every
training sample, the direction that lowers the loss L(y, F) fastest is the negative gradient

    r_i = −∂L(y_i, F(x_i)) / ∂F(x_i)

A tree can only output a few values, so we fit a regression tree h_m to the r_i (least
squares: its leaves hold the mean r of their samples) and step F ← F + ν·h_m.

- **Squared error** L = ½(y − F)²: r = y − F, the plain residuals. F₀ = mean(y).
- **Log-loss** (binary, y ∈ {0, 1}, p = σ(F) = 1 / (1 + e^(−F)), F is the log-odds):
  L = log(1 + e^F) − y·F, so r = y − p. F₀ = log(p̄ / (1 − p̄)) with p̄ the share of 1s.
  The tree is grown on r, then each leaf j gets the value of one *Newton step* on the loss
  of its samples: γ_j = Σ_{i∈j} r_i / Σ_{i∈j} p_i(1 − p_i)  (gradient over Hessian) —
  scikit-learn does the same.

Why it works: each stage removes part of what the current model still gets wrong, and the
small learning rate keeps every step short, so the next trees can correct the previous
ones instead of over-fitting their noise (more trees, smaller ν: usually better, slower).

Feature importance: every split of every tree lowers the squared error of the residuals it
was grown on by n·I − n_L·I_L − n_R·I_R (I the node's variance, n its sample count). Sum
those decreases per feature over *all* trees, then normalise once so they add up to 1, as
scikit-learn's gradient boosting does. (Averaging each tree's normalised importances would
give a late tree, which only polishes small residuals, as much say as the first tree.)

The trees are the stage-05 ``DecisionTreeRegressor`` and σ is stage 02's ``sigmoid``, both
imported with ``journey.load_stage``.
"""

import argparse

import numpy as np

import journey
from journey.cli import ensemble_flags
from journey.data import load_bundled
from journey.estimator import BaseEstimator, ClassifierMixin, RegressorMixin
from journey.validation import (
    check_classification_data,
    check_fitted_input,
    check_float,
    check_int,
    check_is_fitted,
    check_X_y,
)

STAGE = "09_gradient_boosting"
tree_module = journey.load_stage("05", "from_scratch/decision_tree_numpy.py")
TREE_PARAMS = ("max_depth", "min_samples_split", "min_samples_leaf", "max_features")
sigmoid = journey.load_stage("02", "from_scratch/logistic_regression_numpy.py").sigmoid


class _BaseGradientBoosting(BaseEstimator):
    """The boosting loop; a subclass supplies F₀, the negative gradient and the leaf values."""

    def __init__(  # scikit-learn's order of the same hyper-parameters
        self,
        *,
        learning_rate: float = 0.1,
        n_estimators: int = 100,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        max_depth: int | None = 3,
        random_state: int | None = None,
        max_features: int | float | str | None = None,
    ):
        self._store_hyperparameters(locals())

    def _boost(self, X: np.ndarray, y: np.ndarray):
        """F ← F₀; for each stage: r = −∂L/∂F, grow a tree on r, set its leaves, F ← F + ν·h."""
        self._check_hyperparameters()
        rng = np.random.default_rng(self.random_state)
        self.n_features_in_ = X.shape[1]
        self.init_ = self._initial_raw(y)
        raw = np.full(len(y), self.init_)
        self.estimators_, self.train_score_ = [], np.zeros(self.n_estimators)
        for m in journey.progress(range(self.n_estimators), desc="boosting"):
            # BEGIN SOLUTION 09.1
            # task: one stage: pseudo-residuals r, a tree fitted to r, its leaves set, F ← F + ν·h
            # hint: _negative_gradient, _new_tree(rng.spawn(1)[0]), _set_leaf_values, tree.apply(X)
            residual = self._negative_gradient(y, raw)
            tree = self._new_tree(rng.spawn(1)[0]).fit(X, residual)
            leaves = tree.apply(X)
            self._set_leaf_values(tree, leaves, y, raw, residual)
            raw += self.learning_rate * tree.tree_.value[leaves, 0, 0]
            # END SOLUTION
            self.estimators_.append(tree)
            self.train_score_[m] = self._loss(y, raw)
        return self

    def _new_tree(self, rng):
        """A stage-05 regression tree with the model's ``TREE_PARAMS`` and its own seed."""
        settings = {name: getattr(self, name) for name in TREE_PARAMS}
        return tree_module.DecisionTreeRegressor(**settings, random_state=rng)

    def raw_predict(self, X) -> np.ndarray:
        """F(x) = F₀ + ν Σ_m h_m(x)."""
        X = check_fitted_input(self, X, "estimators_")
        return self.init_ + self.learning_rate * np.sum(
            [tree.predict(X) for tree in self.estimators_], axis=0
        )

    def staged_raw_predict(self, X):
        """F after 1, 2, ..., M trees (a generator): for learning curves."""
        X = check_fitted_input(self, X, "estimators_")
        raw = np.full(len(X), self.init_)
        for tree in self.estimators_:
            raw = raw + self.learning_rate * tree.predict(X)
            yield raw

    @property
    def feature_importances_(self) -> np.ndarray:
        """Σ over all trees of each feature's impurity decrease, normalised once to sum to 1."""
        check_is_fitted(self, "estimators_")
        # BEGIN SOLUTION 09.2
        # task: every tree's impurity decreases summed per feature, then normalised once
        # hint: total = Σ over self.estimators_ of impurity_decrease(tree); total / total.sum()
        total = np.sum([impurity_decrease(tree) for tree in self.estimators_], axis=0)
        return total / total.sum() if total.sum() > 0.0 else total
        # END SOLUTION

    def _check_hyperparameters(self) -> None:
        check_int(self.n_estimators, "n_estimators", minimum=1)
        check_float(self.learning_rate, "learning_rate", minimum=0.0, strict_minimum=True)


def impurity_decrease(tree) -> np.ndarray:
    """Per feature, Σ over the tree's splits on it of (n·I − n_L·I_L − n_R·I_R) / n_root.

    Not normalised: scikit-learn's ``tree_.compute_feature_importances(normalize=False)``.
    """
    t = tree.tree_
    split = np.flatnonzero(~t.is_leaf)
    left, right = t.children_left[split], t.children_right[split]
    n, impurity = t.n_node_samples, t.impurity
    decrease = n[split] * impurity[split] - n[left] * impurity[left] - n[right] * impurity[right]
    per_feature = np.bincount(t.feature[split], weights=decrease, minlength=t.n_features)
    return per_feature / n[0]


class GradientBoostingRegressor(RegressorMixin, _BaseGradientBoosting):
    """Least-squares boosting: every tree fits the residuals y − F of the trees before it.

    Parameters: ``n_estimators``, ``learning_rate`` ν, and the tree settings ``max_depth``
    (default 3), ``min_samples_split``, ``min_samples_leaf``, ``max_features``, ``random_state``.
    Learned: ``init_`` (F₀ = mean y), ``estimators_``, ``train_score_`` (training MSE after
    each stage, like scikit-learn's), ``feature_importances_``.
    """

    def fit(self, X, y):
        X, y = check_X_y(X, y)
        return self._boost(X, y)

    def _initial_raw(self, y):
        return float(np.mean(y))

    def _negative_gradient(self, y, raw):
        return y - raw  # −∂/∂F ½(y − F)²

    def _set_leaf_values(self, tree, leaves, y, raw, residual):
        """Nothing to do: the tree's leaf means of the residuals already minimise ½(y − F − γ)²."""

    def _loss(self, y, raw):
        return float(np.mean((y - raw) ** 2))

    def predict(self, X) -> np.ndarray:
        return self.raw_predict(X)

    def staged_predict(self, X):
        yield from self.staged_raw_predict(X)


class GradientBoostingClassifier(ClassifierMixin, _BaseGradientBoosting):
    """Binary log-loss boosting: trees fit y − p on the log-odds scale, leaves take a Newton step.

    Same parameters as the regressor. Learned: ``classes_`` (two labels), ``init_`` (the
    prior log-odds), ``estimators_``, ``train_score_`` (binomial deviance 2·mean log-loss after
    each stage, like scikit-learn's), ``feature_importances_``.
    """

    def fit(self, X, y):
        X, self.classes_, codes = check_classification_data(X, y, min_classes=2)
        if len(self.classes_) > 2:
            raise ValueError(
                f"this classifier is binary: y must have exactly 2 classes, found "
                f"{len(self.classes_)}; for more classes fit one model per class (one-vs-rest)"
            )
        return self._boost(X, codes.astype(np.float64))

    def _initial_raw(self, y):
        eps = np.finfo(np.float64).eps
        prior = float(np.clip(np.mean(y), eps, 1 - eps))
        return float(np.log(prior / (1.0 - prior)))

    def _negative_gradient(self, y, raw):
        # BEGIN SOLUTION 09.3
        # task: the pseudo-residuals of the log-loss, r = −∂/∂F [log(1 + e^F) − yF]
        # hint: ∂/∂F log(1 + e^F) = σ(F), so r = y − σ(F) (``sigmoid`` is stage 02's)
        return y - sigmoid(raw)
        # END SOLUTION

    def _set_leaf_values(self, tree, leaves, y, raw, residual):
        """γ_j = Σ r / Σ p(1 − p) over the samples in leaf j: one Newton step on the log-loss."""
        # BEGIN SOLUTION 09.4
        # task: γ_j = Σ r / Σ p(1 − p) over the samples of each leaf j (γ = 0 where Σ p(1 − p) ≈ 0)
        # hint: p = y − r; per-node sums: np.bincount(leaves, weights=…, minlength=node_count)
        p = y - residual
        n_nodes = tree.tree_.node_count
        gradient = np.bincount(leaves, weights=residual, minlength=n_nodes)
        hessian = np.bincount(leaves, weights=p * (1.0 - p), minlength=n_nodes)
        is_leaf = tree.tree_.is_leaf
        safe = is_leaf & (np.abs(hessian) >= 1e-150)  # a certain leaf cannot improve: γ = 0
        gamma = np.zeros(n_nodes)
        gamma[safe] = gradient[safe] / hessian[safe]
        # END SOLUTION
        tree.tree_.value[is_leaf, 0, 0] = gamma[is_leaf]

    def _loss(self, y, raw):
        return float(2.0 * np.mean(np.logaddexp(0.0, raw) - y * raw))

    def decision_function(self, X) -> np.ndarray:
        """The log-odds F(x)."""
        return self.raw_predict(X)

    def predict_proba(self, X) -> np.ndarray:
        """[1 − σ(F), σ(F)] for the two classes."""
        p = sigmoid(self.raw_predict(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def staged_predict_proba(self, X):
        for raw in self.staged_raw_predict(X):
            p = sigmoid(raw)
            yield np.column_stack([1.0 - p, p])


def _random_split(n: int, rng) -> np.ndarray:
    """A boolean mask marking a random quarter of ``n`` samples as the test set."""
    test = np.zeros(n, dtype=bool)
    test[rng.permutation(n)[: n // 4]] = True
    return test


def _curves_figure(reg, test_mse, clf, test_loss):
    plt = journey.plotting.pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    axes[0].plot(reg.train_score_, label="train")
    axes[0].plot(test_mse, label="test")
    axes[0].set(xlabel="trees", ylabel="MSE", title="diabetes: squared-error boosting")
    axes[1].plot(clf.train_score_, label="train")
    axes[1].plot(test_loss, label="test")
    axes[1].set(
        xlabel="trees", ylabel="deviance (2 × log-loss)", title="breast cancer: log-loss boosting"
    )
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(
        parents=[ensemble_flags(n_estimators=200, quick_n_estimators=30)],
        description=__doc__.split("\n")[0],
    )
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--max-depth", type=int, default=3)
    args = parser.parse_args()
    settings = dict(
        n_estimators=args.n_estimators, learning_rate=args.learning_rate, max_depth=args.max_depth
    )
    rng = np.random.default_rng(args.seed)

    X, y = load_bundled("diabetes")
    test = _random_split(len(y), rng)
    reg = GradientBoostingRegressor(**settings).fit(X[~test], y[~test])
    test_mse = [np.mean((p - y[test]) ** 2) for p in reg.staged_predict(X[test])]
    best = int(np.argmin(test_mse))
    print(
        f"diabetes regression, {args.n_estimators} trees: train MSE {reg.train_score_[-1]:.1f}, "
        f"test MSE {test_mse[-1]:.1f} (best {test_mse[best]:.1f} after {best + 1} trees)"
    )

    X, y = load_bundled("breast_cancer")
    test = _random_split(len(y), rng)
    clf = GradientBoostingClassifier(**settings).fit(X[~test], y[~test])
    print(f"breast cancer classification: test accuracy {clf.score(X[test], y[test]):.3f}")
    test_loss = [
        2 * np.mean(np.logaddexp(0, r) - y[test] * r) for r in clf.staged_raw_predict(X[test])
    ]
    fig = _curves_figure(reg, test_mse, clf, test_loss)
    journey.save_figure(fig, STAGE, "scratch_boosting_curves")


if __name__ == "__main__":
    main()
