"""k-nearest neighbours from scratch: vectorised distances, k-smallest selection, a majority vote.

KNN has no training step: ``fit`` stores the data. To classify a query x it finds the k
training points closest in Euclidean distance and lets them vote.

Distances without a loop over samples. For a query block A (m × d) and the training set
B (n × d) all m·n squared distances come from one matrix product:

    ‖a − b‖² = ‖a‖² − 2 a·b + ‖b‖²      →      D² = ‖A‖²·1ᵀ − 2 A Bᵀ + 1·‖B‖²ᵀ

The A Bᵀ term is a single BLAS call, far faster than forming the m × n × d differences.
It cancels catastrophically when a ≈ b (two big numbers subtracted), so it can come out as
a tiny negative number: it is clipped at 0 before the square root. To *rank* the training
points for one query, ‖a‖² is a constant and can be left out: the search runs on
s = ‖b‖² − 2a·b and ‖a‖² is added back only for the k winners.

Picking the k smallest per row. ``np.argpartition(s, k-1)`` moves the k smallest entries of
each row to the front in O(n) without a full sort. For the small k used in practice it is
faster still to take k passes of ``np.argmin`` over the whole block (a SIMD scan per pass),
blanking each winner with +inf: the winners come out sorted, and among equal distances the
lower training index wins. ``k_smallest`` uses argmin passes up to k = 64 and argpartition
above (the notebook times both paths).

The vote (scikit-learn's rules, so that labels agree):

- ``weights="uniform"``: each neighbour has one vote;
- ``weights="distance"``: neighbour j votes with weight 1/dⱼ; if a query sits exactly on
  training points (d = 0), those points get weight 1 and every other neighbour weight 0;
- the class with the largest total wins; a tie goes to the class that comes first in
  ``classes_`` (the smallest label), because ``argmax`` returns the first maximum.

Which k points are "the k nearest" is ambiguous when the k-th and (k+1)-th distances are
equal: any of the tied points may be chosen, and two correct implementations can then
disagree. ``kth_distance_ties`` finds those queries.
"""

import argparse

import numpy as np

from journey.estimator import BaseEstimator, ClassifierMixin
from journey.validation import (
    check_classification_data,
    check_fitted_input,
    check_int,
    check_option,
)

STAGE = "08_knn_naive_bayes"
WEIGHTS = ("uniform", "distance")
ARGMIN_PASSES_UP_TO_K = 64


def squared_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """All squared Euclidean distances ‖aᵢ − bⱼ‖² (m × n) via ‖a‖² − 2a·b + ‖b‖², clipped at 0.

    The full matrix, for inspection; ``kneighbors`` ranks with s = ‖b‖² − 2a·b and adds ‖a‖²
    to the k winners only.
    """
    # BEGIN SOLUTION 08.1
    # task: every squared distance between the rows of A and of B, without a loop
    # hint: ‖a‖²·1ᵀ − 2 A Bᵀ + 1·‖b‖²ᵀ (np.einsum("ij,ij->i", A, A) is ‖a‖²), clipped at 0
    sq = (
        np.einsum("ij,ij->i", A, A)[:, None]
        - 2.0 * (A @ B.T)
        + np.einsum("ij,ij->i", B, B)[None, :]
    )
    return np.maximum(sq, 0.0, out=sq)
    # END SOLUTION


def k_smallest_by_argmin(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k passes of ``argmin``, each winner overwritten with +inf (``scores`` is modified):
    the winners come out sorted, and among equal scores the lower column wins."""
    rows = np.arange(len(scores))
    index = np.empty((len(scores), k), dtype=np.intp)
    values = np.empty((len(scores), k))
    for j in range(k):
        index[:, j] = np.argmin(scores, axis=1)
        values[:, j] = scores[rows, index[:, j]]
        scores[rows, index[:, j]] = np.inf
    return index, values


def k_smallest_by_argpartition(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``argpartition`` moves the k smallest of each row to the front in O(n); then only
    those k are sorted (stable, so among equal scores the lower column comes first)."""
    nearest = np.argpartition(scores, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(scores, nearest, axis=1)
    order = np.argsort(values, axis=1, kind="stable")
    return np.take_along_axis(nearest, order, axis=1), np.take_along_axis(values, order, axis=1)


def k_smallest(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Column indices and values of the k smallest entries of each row, smallest first:
    argmin passes up to ``ARGMIN_PASSES_UP_TO_K``, argpartition above."""
    if k > ARGMIN_PASSES_UP_TO_K:
        return k_smallest_by_argpartition(scores, k)
    return k_smallest_by_argmin(scores, k)


def vote_weights(distances: np.ndarray, weights: str) -> np.ndarray:
    """Each neighbour's vote: 1 (uniform) or 1/d (distance; d = 0 → weight 1, others 0)."""
    # BEGIN SOLUTION 08.2
    # task: each neighbour's vote weight, uniform or inverse distance with exact hits winning
    # hint: 1 / distances (errstate divide="ignore"); rows with an inf keep 1 on the hits, 0 else
    if weights == "uniform":
        return np.ones_like(distances)
    with np.errstate(divide="ignore"):
        w = 1.0 / distances
    exact_hit = np.isinf(w)
    rows = exact_hit.any(axis=1)
    w[rows] = exact_hit[rows]
    return w
    # END SOLUTION


def class_votes(neighbour_classes: np.ndarray, weights: np.ndarray, n_classes: int) -> np.ndarray:
    """Total vote per class (n_queries × n_classes): Σⱼ wⱼ [class of neighbour j = c]."""
    # BEGIN SOLUTION 08.3
    # task: add up the neighbours' vote weights class by class, one column per class
    # hint: column c is np.sum(np.where(neighbour_classes == c, weights, 0.0), axis=1)
    return np.stack(
        [np.sum(np.where(neighbour_classes == c, weights, 0.0), axis=1) for c in range(n_classes)],
        axis=1,
    )
    # END SOLUTION


class KNeighborsClassifier(ClassifierMixin, BaseEstimator):
    """Brute-force k-nearest-neighbour classifier with scikit-learn's interface.

    Parameters
    ----------
    n_neighbors : k, the number of neighbours that vote (≥ 1, ≤ number of training samples).
    weights : "uniform" or "distance" (see the module docstring).
    chunk_size : queries processed per block, so the block × n score matrix stays small
                 (256 rows × 60,000 training points ≈ 120 MB in float64).

    Learned attributes: ``classes_``, ``n_features_in_``, ``n_samples_fit_``.
    """

    def __init__(self, n_neighbors: int = 5, weights: str = "uniform", chunk_size: int = 256):
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.chunk_size = chunk_size

    def fit(self, X, y):
        """Store the training data (KNN is a lazy learner) and the sorted class labels."""
        X, self.classes_, self._y_index = check_classification_data(X, y)
        self._check_params(len(X))
        self._fit_X = X
        self._fit_sq_norms = np.einsum("ij,ij->i", X, X)
        self.n_features_in_ = X.shape[1]
        self.n_samples_fit_ = len(X)
        return self

    def kneighbors(self, X, n_neighbors: int | None = None, return_distance: bool = True):
        """Distances and indices of the ``n_neighbors`` nearest training points, nearest first."""
        X = check_fitted_input(self, X, "classes_")
        k = self._check_k(self.n_neighbors if n_neighbors is None else n_neighbors)
        dist = np.empty((len(X), k))
        ind = np.empty((len(X), k), dtype=np.intp)
        for start in range(0, len(X), self.chunk_size):
            A = X[start : start + self.chunk_size]
            # BEGIN SOLUTION 08.4
            # task: the k nearest training points of the block A: indices and true distances
            # hint: rank by s = ‖b‖² − 2a·b, k_smallest(s, k); distance = √max(‖a‖² + s, 0)
            scores = A @ self._fit_X.T  # s = ‖b‖² − 2a·b, ranked like ‖a − b‖²
            scores *= -2.0
            scores += self._fit_sq_norms
            ind[start : start + len(A)], best = k_smallest(scores, k)
            sq = np.einsum("ij,ij->i", A, A)[:, None] + best
            dist[start : start + len(A)] = np.sqrt(np.maximum(sq, 0.0))
            # END SOLUTION
        return (dist, ind) if return_distance else ind

    def _votes(self, X) -> np.ndarray:
        dist, ind = self.kneighbors(X)
        return class_votes(self._y_index[ind], vote_weights(dist, self.weights), len(self.classes_))

    def predict_proba(self, X) -> np.ndarray:
        """Each class's share of the (weighted) vote, columns in the order of ``classes_``."""
        votes = self._votes(X)
        return votes / votes.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        """The class with the largest vote; ties go to the first class in ``classes_``."""
        votes = self._votes(X)
        return self.classes_[np.argmax(votes, axis=1)]

    # -- input checks -------------------------------------------------------------------

    def _check_params(self, n_samples: int) -> None:
        check_int(self.n_neighbors, "n_neighbors", minimum=1)
        check_option(self.weights, "weights", WEIGHTS)
        check_int(self.chunk_size, "chunk_size", minimum=1)
        if self.n_neighbors > n_samples:
            raise ValueError(
                f"n_neighbors={self.n_neighbors} is larger than the {n_samples} training samples; "
                f"use n_neighbors ≤ {n_samples} or more training data"
            )

    def _check_k(self, k) -> int:
        k = check_int(k, "n_neighbors", minimum=1)
        if k > self.n_samples_fit_:
            raise ValueError(
                f"n_neighbors must be in 1..{self.n_samples_fit_} (training samples), got {k}"
            )
        return k


def kth_distance_ties(sorted_distances: np.ndarray, k: int, rtol: float = 1e-9) -> np.ndarray:
    """Queries whose k-th and (k+1)-th nearest distances are equal (within ``rtol``).

    ``sorted_distances`` holds at least k+1 ascending distances per query. For those
    queries the set of k nearest neighbours is not unique.
    """
    d_k, d_next = sorted_distances[:, k - 1], sorted_distances[:, k]
    return np.abs(d_next - d_k) <= rtol * np.maximum(d_next, 1e-300)


def digits_split(seed: int = 0, test_fraction: float = 0.25):
    """scikit-learn's bundled 8×8 digits (via ``journey.data``), split by a seeded permutation.

    The pixels stay raw integers 0..16, so every squared distance is an exact integer in
    float64 and ties between distances are exact ties.
    """
    from journey.data import load_bundled

    X, y = load_bundled("digits")
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = int(round(test_fraction * len(X)))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def accuracy_by_k(X_train, X_test, y_train, y_test, ks) -> dict[str, list[float]]:
    """Test accuracy for every k and both vote weightings."""
    accuracies = {w: [] for w in WEIGHTS}
    for k in ks:
        for weights in WEIGHTS:
            model = KNeighborsClassifier(k, weights=weights).fit(X_train, y_train)
            accuracies[weights].append(model.score(X_test, y_test))
            print(f"k={k:2d} weights={weights:8s} test accuracy {accuracies[weights][-1]:.4f}")
    return accuracies


def neighbours_figure(model: KNeighborsClassifier, X_train, X_test, y_train, y_test):
    """Six test digits, each with its 5 nearest training digits and their distances."""
    from journey.plotting import pyplot

    dist, ind = model.kneighbors(X_test[:6], n_neighbors=5)
    fig, axes = pyplot().subplots(6, 6, figsize=(7, 7))
    for row in range(6):
        axes[row, 0].imshow(X_test[row].reshape(8, 8), cmap="gray_r")
        axes[row, 0].set_title(f"query ({y_test[row]})", fontsize=8)
        for col in range(5):
            j = ind[row, col]
            axes[row, col + 1].imshow(X_train[j].reshape(8, 8), cmap="gray_r")
            axes[row, col + 1].set_title(f"{y_train[j]}  d={dist[row, col]:.1f}", fontsize=8)
    for ax in axes.ravel():
        ax.set_axis_off()
    fig.suptitle("Each test digit and its 5 nearest training digits")
    return fig


def accuracy_figure(ks, accuracies: dict[str, list[float]]):
    """Test accuracy against k, one line per vote weighting."""
    from journey.plotting import pyplot

    fig, ax = pyplot().subplots(figsize=(5, 3.5))
    for weights, values in accuracies.items():
        ax.plot(ks, values, "o-", label=weights)
    ax.set_xlabel("k")
    ax.set_ylabel("test accuracy")
    ax.set_title("KNN (scratch) on digits")
    ax.legend()
    return fig


def main() -> None:
    import journey

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the train/test split")
    parser.add_argument(
        "--k", type=int, nargs="+", default=[1, 3, 5, 15], help="values of k to try"
    )
    args = parser.parse_args()

    X_train, X_test, y_train, y_test = digits_split(seed=args.seed)
    if journey.is_quick():
        X_train, y_train, X_test, y_test = X_train[:400], y_train[:400], X_test[:150], y_test[:150]
    print(f"digits: {len(X_train)} training and {len(X_test)} test images of 64 pixels")
    accuracies = accuracy_by_k(X_train, X_test, y_train, y_test, args.k)
    model = KNeighborsClassifier(args.k[0]).fit(X_train, y_train)
    fig = neighbours_figure(model, X_train, X_test, y_train, y_test)
    journey.save_figure(fig, STAGE, "knn_neighbours")
    journey.save_figure(accuracy_figure(args.k, accuracies), STAGE, "knn_accuracy_vs_k")


if __name__ == "__main__":
    main()
