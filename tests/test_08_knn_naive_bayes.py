"""Stage 08: KNN and Gaussian naive Bayes from scratch agree with scikit-learn.

KNN: identical labels (and vote shares within 1e-10) wherever the k nearest neighbours are
unambiguous. The ambiguous queries, where the k-th and (k+1)-th distances tie, are found
from scikit-learn's own distances, counted, and are the only ones allowed to differ.
Gaussian NB: theta_, var_, class_prior_ within 1e-12, predict_proba within 1e-10, same labels.
"""

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB as SkGaussianNB
from sklearn.neighbors import KNeighborsClassifier as SkKNN

from journey import load_stage
from journey.data import load_bundled
from journey.gradcheck import relative_error

knn = load_stage("08", "from_scratch/knn_numpy.py")
nb = load_stage("08", "from_scratch/naive_bayes_numpy.py")


def split(name, seed=0):
    X, y = load_bundled(name)
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)


@pytest.fixture(scope="module", params=["iris", "digits"])
def dataset(request):
    return request.param, split(request.param)


# --------------------------------------------------------------------------------- KNN


@pytest.mark.exercise("08.2", "08.3", "08.4")
@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize("k", [1, 3, 5, 15])
def test_knn_matches_sklearn_brute_outside_kth_distance_ties(dataset, k, weights):
    name, (X_train, X_test, y_train, y_test) = dataset
    ours = knn.KNeighborsClassifier(k, weights=weights).fit(X_train, y_train)
    lib = SkKNN(k, weights=weights, algorithm="brute").fit(X_train, y_train)

    lib_dist, _ = lib.kneighbors(X_test, n_neighbors=k + 1)
    ties = knn.kth_distance_ties(lib_dist, k)
    print(f"{name} k={k} {weights}: {ties.sum()} of {len(X_test)} test points tie at the k-th")
    assert (~ties).sum() >= 0.6 * len(X_test), "too few unambiguous points left to compare"

    pred, lib_pred = ours.predict(X_test), lib.predict(X_test)
    disagree = pred != lib_pred
    assert not np.any(disagree & ~ties), (
        f"labels differ at unambiguous points {np.flatnonzero(disagree & ~ties)}"
    )
    proba, lib_proba = ours.predict_proba(X_test), lib.predict_proba(X_test)
    assert relative_error(proba[~ties], lib_proba[~ties]) <= 1e-10
    assert ours.score(X_test, y_test) > 0.85


@pytest.mark.exercise("08.4")
@pytest.mark.parametrize("k", [1, 5, 15])
def test_kneighbors_distances_match_sklearn(dataset, k):
    _, (X_train, X_test, y_train, _) = dataset
    dist, ind = knn.KNeighborsClassifier(k).fit(X_train, y_train).kneighbors(X_test)
    lib = SkKNN(k, algorithm="brute").fit(X_train, y_train)
    lib_dist, lib_ind = lib.kneighbors(X_test)
    assert relative_error(dist, lib_dist) <= 1e-10  # sorted distances agree even where indices tie
    exact = np.sqrt(((X_test[:, None, :] - X_train[ind]) ** 2).sum(axis=2))
    assert relative_error(dist, exact) <= 1e-10  # the ‖a‖²−2a·b+‖b‖² form is accurate here
    assert np.all(np.diff(dist, axis=1) >= 0)
    # without a tie at the k-th distance the set of k nearest neighbours is unique
    unambiguous = ~knn.kth_distance_ties(lib.kneighbors(X_test, n_neighbors=k + 1)[0], k)
    assert unambiguous.sum() >= 0.6 * len(X_test)
    np.testing.assert_array_equal(
        np.sort(ind[unambiguous], axis=1), np.sort(lib_ind[unambiguous], axis=1)
    )


@pytest.mark.exercise("08.2", "08.3", "08.4")
@pytest.mark.parametrize("k", [40, 100])
def test_large_k_matches_sklearn(k):
    """k = 40 still takes argmin passes, k = 100 takes the argpartition path."""
    X_train, X_test, y_train, _ = split("digits")
    ours = knn.KNeighborsClassifier(k, weights="distance").fit(X_train, y_train)
    lib = SkKNN(k, weights="distance", algorithm="brute").fit(X_train, y_train)
    ties = knn.kth_distance_ties(lib.kneighbors(X_test, n_neighbors=k + 1)[0], k)
    assert (~ties).sum() >= 0.6 * len(X_test)
    np.testing.assert_array_equal(ours.predict(X_test)[~ties], lib.predict(X_test)[~ties])
    assert (
        relative_error(ours.predict_proba(X_test)[~ties], lib.predict_proba(X_test)[~ties]) <= 1e-10
    )


def test_k_smallest_paths_agree_with_a_full_sort():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((50, 300))
    expected = np.argsort(scores, axis=1)[:, :70]
    paths = (knn.k_smallest, knn.k_smallest_by_argmin, knn.k_smallest_by_argpartition)
    for k in (1, 7, 64, 65, 70):
        for path in paths:
            index, values = path(scores.copy(), k)
            np.testing.assert_array_equal(index, expected[:, :k])
            expected_values = np.take_along_axis(scores, expected[:, :k], axis=1)
            np.testing.assert_array_equal(values, expected_values)


@pytest.mark.exercise("08.1")
def test_squared_distances_matrix_form():
    X_train, X_test, _, _ = split("iris")
    direct = ((X_test[:, None, :] - X_train[None, :, :]) ** 2).sum(axis=2)
    assert np.abs(knn.squared_distances(X_test, X_train) - direct).max() <= 1e-12 * direct.max()
    assert knn.squared_distances(X_train, X_train).min() >= 0.0


@pytest.mark.exercise("08.2", "08.3", "08.4")
def test_uniform_vote_tie_goes_to_first_class_like_sklearn():
    X = np.array([[1.0], [-2.0], [5.0], [6.0]])
    y = np.array(["b", "a", "b", "a"])
    query = np.array([[0.0]])  # nearest: "b" at 1, then "a" at 2 → a 1–1 tie with k=2
    ours = knn.KNeighborsClassifier(2).fit(X, y)
    lib = SkKNN(2, algorithm="brute").fit(X, y)
    assert ours.predict(query)[0] == lib.predict(query)[0] == "a"
    np.testing.assert_array_equal(ours.predict_proba(query), lib.predict_proba(query))


@pytest.mark.exercise("08.2", "08.3", "08.4")
def test_distance_weights_exact_hit_wins_like_sklearn():
    X = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    query = np.array([[1.0, 1.0], [0.02, 0.02]])
    ours = knn.KNeighborsClassifier(3, weights="distance").fit(X, y)
    lib = SkKNN(3, weights="distance", algorithm="brute").fit(X, y)
    np.testing.assert_array_equal(ours.predict(query), lib.predict(query))
    assert ours.predict(query)[0] == 0  # the exact hit outvotes two class-1 points
    assert relative_error(ours.predict_proba(query), lib.predict_proba(query)) <= 1e-10


@pytest.mark.exercise("08.2", "08.3", "08.4")
def test_chunked_queries_give_the_same_answer():
    X_train, X_test, y_train, _ = split("iris")
    whole = knn.KNeighborsClassifier(5, weights="distance").fit(X_train, y_train)
    chunked = knn.KNeighborsClassifier(5, weights="distance", chunk_size=7).fit(X_train, y_train)
    np.testing.assert_array_equal(whole.predict_proba(X_test), chunked.predict_proba(X_test))


@pytest.mark.exercise("08.2")
def test_vote_weights_uniform_inverse_distance_and_exact_hits():
    distances = np.array([[1.0, 2.0, 4.0], [0.0, 0.5, 0.0], [0.25, 0.25, 3.0]])
    np.testing.assert_array_equal(knn.vote_weights(distances, "uniform"), np.ones((3, 3)))
    expected = np.array([[1.0, 0.5, 0.25], [1.0, 0.0, 1.0], [4.0, 4.0, 1.0 / 3.0]])
    np.testing.assert_allclose(knn.vote_weights(distances, "distance"), expected, rtol=1e-15)


@pytest.mark.exercise("08.3")
def test_class_votes_add_each_neighbours_weight_to_its_class():
    rng = np.random.default_rng(3)
    classes, weights = rng.integers(0, 4, size=(20, 7)), rng.random((20, 7))
    expected = np.zeros((20, 5))  # class 4 never appears: its column stays 0
    np.add.at(expected, (np.arange(20)[:, None], classes), weights)
    np.testing.assert_allclose(knn.class_votes(classes, weights, 5), expected, rtol=1e-12)


def test_kth_distance_ties_detector():
    d = np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 1.0, 3.0], [1.0, 1.0 + 1e-12, 2.0, 2.0]])
    np.testing.assert_array_equal(knn.kth_distance_ties(d, 2), [False, True, False])
    np.testing.assert_array_equal(knn.kth_distance_ties(d, 1), [False, False, True])
    np.testing.assert_array_equal(knn.kth_distance_ties(d, 3), [False, False, True])


def test_knn_settings_are_checked_at_fit_and_at_kneighbors():
    """The rules only KNN has; NaN, shapes, labels and unfitted use are the contract test's."""
    X, y = np.arange(12.0).reshape(6, 2), np.array([0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="larger than the 6 training samples"):
        knn.KNeighborsClassifier(7).fit(X, y)
    with pytest.raises(ValueError, match="n_neighbors must be at least 1"):
        knn.KNeighborsClassifier(0).fit(X, y)
    with pytest.raises(TypeError, match="n_neighbors must be an integer"):
        knn.KNeighborsClassifier(True).fit(X, y)
    with pytest.raises(ValueError, match="weights must be one of"):
        knn.KNeighborsClassifier(3, weights="gaussian").fit(X, y)
    model = knn.KNeighborsClassifier(3).fit(X, y)
    with pytest.raises(ValueError, match="n_neighbors must be in 1..6"):
        model.kneighbors(X, n_neighbors=10)
    with pytest.raises(TypeError, match="n_neighbors must be an integer"):
        model.kneighbors(X, n_neighbors=2.5)


# ------------------------------------------------------------------------ Gaussian NB


NB_CASES = pytest.mark.parametrize(
    "name, var_smoothing",
    [(n, s) for n in ("iris", "wine", "breast_cancer", "digits") for s in (1e-9, 1e-2)],
)


@pytest.mark.exercise("08.5")
@NB_CASES
def test_gaussian_nb_fit_matches_sklearn(name, var_smoothing):
    X_train, _, y_train, _ = split(name)
    ours = nb.GaussianNB(var_smoothing=var_smoothing).fit(X_train, y_train)
    lib = SkGaussianNB(var_smoothing=var_smoothing).fit(X_train, y_train)
    for attribute in ("theta_", "var_", "class_prior_", "class_count_", "epsilon_"):
        assert relative_error(getattr(ours, attribute), getattr(lib, attribute)) <= 1e-12, attribute


@pytest.mark.exercise("08.6")
@NB_CASES
def test_joint_log_likelihood_of_sklearns_fit(name, var_smoothing):
    """Our jll from scikit-learn's fitted means, variances and priors: 08.6 graded alone."""
    X_train, X_test, y_train, _ = split(name)
    lib = SkGaussianNB(var_smoothing=var_smoothing).fit(X_train, y_train)
    ours = nb.GaussianNB(var_smoothing=var_smoothing)
    for attribute in ("classes_", "theta_", "var_", "class_prior_", "n_features_in_"):
        setattr(ours, attribute, getattr(lib, attribute))
    jll = ours.joint_log_likelihood(X_test)
    assert relative_error(jll, lib.predict_joint_log_proba(X_test)) <= 1e-12


@pytest.mark.exercise("08.5", "08.6")
@NB_CASES
def test_gaussian_nb_matches_sklearn(name, var_smoothing):
    X_train, X_test, y_train, _ = split(name)
    ours = nb.GaussianNB(var_smoothing=var_smoothing).fit(X_train, y_train)
    lib = SkGaussianNB(var_smoothing=var_smoothing).fit(X_train, y_train)
    assert relative_error(ours.predict_proba(X_test), lib.predict_proba(X_test)) <= 1e-10
    assert relative_error(ours.predict_log_proba(X_test), lib.predict_log_proba(X_test)) <= 1e-10
    np.testing.assert_array_equal(ours.predict(X_test), lib.predict(X_test))


@pytest.mark.exercise("08.5", "08.6")
def test_gaussian_nb_string_labels_and_variance_floor():
    X_train, X_test, y_train, _ = split("digits")
    labels = np.array([f"digit-{d}" for d in range(10)])[y_train]
    ours = nb.GaussianNB().fit(X_train, labels)
    lib = SkGaussianNB().fit(X_train, labels)
    np.testing.assert_array_equal(ours.classes_, lib.classes_)
    np.testing.assert_array_equal(ours.predict(X_test), lib.predict(X_test))
    # pixels that are constant inside a class keep exactly the floor ε, never 0
    assert ours.var_.min() == pytest.approx(ours.epsilon_, rel=1e-12) and ours.epsilon_ > 0


def test_logsumexp_does_not_overflow():
    a = np.array([[1000.0, 1000.0], [-1000.0, -1001.0]])
    expected = np.array([1000.0 + np.log(2.0), -1000.0 + np.log1p(np.exp(-1.0))])
    assert relative_error(nb.logsumexp(a, axis=1), expected) <= 1e-15


def test_gaussian_nb_refuses_negative_smoothing_at_fit():
    X, y = np.arange(12.0).reshape(6, 2), np.array([0, 1, 0, 1, 0, 1])
    model = nb.GaussianNB(var_smoothing=-1.0)  # __init__ only stores it
    with pytest.raises(ValueError, match="var_smoothing"):
        model.fit(X, y)
