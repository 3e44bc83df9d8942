"""The benchmark cases: one function per scratch/library pair, at a standard realistic size.

Each ``prepare(quick)`` builds the data once and returns the two callables. ``quick`` shrinks
sizes so the test suite can exercise every case in seconds; ``make bench`` uses full sizes.
"""

import numpy as np

from benchmarks.harness import Case, Prepared
from journey import load_stage
from journey.gradcheck import relative_error


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def disagreement(a, b) -> float:
    """Fraction of predicted labels that differ."""
    return float(np.mean(np.asarray(a) != np.asarray(b)))


def same_labels(scratch_predict, library_predict) -> Prepared:
    """A classifier case: the two sides must predict exactly the same labels."""
    return Prepared(
        scratch_predict,
        library_predict,
        disagreement,
        tolerance=0.0,
        difference_kind="labels differing",
    )


def linear_regression(quick: bool) -> Prepared:
    from sklearn.linear_model import LinearRegression

    scratch = load_stage("01", "from_scratch/linear_regression_numpy.py")
    n, d = (2_000, 10) if quick else (20_000, 50)
    X = _rng().normal(size=(n, d))
    y = X @ _rng(1).normal(size=d) + 0.1 * _rng(2).normal(size=n)
    return Prepared(
        lambda: np.r_[scratch.closed_form(X, y)[0]],
        lambda: LinearRegression().fit(X, y).coef_,
        relative_error,
        tolerance=1e-10,
    )


def logistic_regression(quick: bool) -> Prepared:
    from sklearn.linear_model import LogisticRegression

    scratch = load_stage("02", "from_scratch/logistic_regression_numpy.py")
    n, d = (1_000, 10) if quick else (10_000, 30)
    X = _rng().normal(size=(n, d))
    y = (X @ _rng(1).normal(size=d) + _rng(2).logistic(size=n) > 0).astype(int)
    return Prepared(
        lambda: scratch.LogisticRegressionNewton(C=1.0, tol=1e-8).fit(X, y).coef_,
        lambda: LogisticRegression(C=1.0, tol=1e-8, max_iter=1_000).fit(X, y).coef_,
        relative_error,
        tolerance=1e-4,
    )


def knn_predict(quick: bool) -> Prepared:
    from sklearn.neighbors import KNeighborsClassifier

    scratch = load_stage("08", "from_scratch/knn_numpy.py")
    n_train, n_test, d = (1_000, 200, 16) if quick else (10_000, 2_000, 32)
    X = _rng().normal(size=(n_train + n_test, d))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    X_train, y_train, X_test = X[:n_train], y[:n_train], X[n_train:]
    ours = scratch.KNeighborsClassifier(n_neighbors=5).fit(X_train, y_train)
    theirs = KNeighborsClassifier(n_neighbors=5, algorithm="brute").fit(X_train, y_train)
    return same_labels(lambda: ours.predict(X_test), lambda: theirs.predict(X_test))


def gaussian_nb(quick: bool) -> Prepared:
    from sklearn.naive_bayes import GaussianNB

    scratch = load_stage("08", "from_scratch/naive_bayes_numpy.py")
    n, d, k = (2_000, 20, 5) if quick else (50_000, 50, 10)
    y = _rng(1).integers(0, k, size=n)
    X = _rng().normal(size=(n, d)) + y[:, None] * 0.3
    return Prepared(
        lambda: scratch.GaussianNB().fit(X, y).predict_proba(X),
        lambda: GaussianNB().fit(X, y).predict_proba(X),
        relative_error,
        tolerance=1e-10,
    )


def mlp_training_step(quick: bool) -> Prepared:
    """Ten SGD steps on one batch, float32 on both sides, starting from the same weights."""
    import torch

    scratch = load_stage("04", "from_scratch/mlp_two_layer_numpy.py")
    library = load_stage("04", "library_impl/mlp_two_layer_pytorch.py")
    batch, d, hidden, k = (64, 64, 32, 10) if quick else (128, 784, 256, 10)
    X = _rng().normal(size=(batch, d)).astype(np.float32)
    y = _rng(1).integers(0, k, size=batch)
    ours = scratch.TwoLayerMLP(n_hidden=hidden, learning_rate=0.01, dtype="float32").initialize(
        d, k
    )
    theirs = library.copy_state_from_numpy(library.build(d, hidden, k), ours.state_dict())
    optimizer = torch.optim.SGD(theirs.parameters(), lr=0.01)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)

    def scratch_steps():
        for _ in range(10):
            ours.train_step(X, y)
        return ours.params_["fc1.weight"]

    def library_steps():
        for _ in range(10):
            library.train_step(theirs, optimizer, X_t, y_t)
        return theirs.fc1.weight.detach().numpy()

    return Prepared(scratch_steps, library_steps, relative_error, tolerance=1e-4)


def lstm_forward(quick: bool) -> Prepared:
    """A 1-layer LSTM over a batch of sequences, weights copied from ``nn.LSTM``, float32."""
    import torch

    scratch = load_stage("12", "from_scratch/rnn_lstm_numpy.py")
    batch, steps, n_in, hidden = (16, 20, 8, 32) if quick else (64, 50, 16, 64)
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(n_in, hidden, batch_first=True)
    ours = scratch.LSTM(n_in, hidden, dtype=np.float32).load_state_dict(theirs.state_dict())
    x = _rng().normal(size=(batch, steps, n_in)).astype(np.float32)
    x_t = torch.from_numpy(x)

    def library():
        with torch.no_grad():
            return theirs(x_t)[0].numpy()

    return Prepared(lambda: ours.forward(x)[0], library, relative_error, tolerance=1e-5)


def multihead_attention(quick: bool) -> Prepared:
    """Self-attention with 8 heads, attention weights returned by both sides, float32."""
    import torch

    scratch = load_stage("13", "from_scratch/attention_numpy.py")
    batch, length, width, heads = (4, 32, 32, 4) if quick else (32, 128, 128, 8)
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(width, heads, batch_first=True)
    ours = scratch.MultiheadAttention(width, heads, dtype=np.float32).load_state_dict(
        theirs.state_dict()
    )
    x = _rng().normal(size=(batch, length, width)).astype(np.float32)
    x_t = torch.from_numpy(x)

    def library():
        with torch.no_grad():
            return theirs(x_t, x_t, x_t, need_weights=True, average_attn_weights=False)[0].numpy()

    return Prepared(
        lambda: ours.forward(x, x, x, need_weights=True, average_attn_weights=False)[0],
        library,
        relative_error,
        tolerance=1e-5,
    )


def decision_tree_fit(quick: bool) -> Prepared:
    """A depth-6 Gini tree on continuous features; predictions compared.

    Deeper trees meet exact ties, which the two implementations may break differently.
    """
    from sklearn.tree import DecisionTreeClassifier

    scratch = load_stage("05", "from_scratch/decision_tree_numpy.py")
    n, d = (500, 8) if quick else (5_000, 20)
    X = _rng().normal(size=(n, d))
    y = (X[:, 0] * X[:, 1] + X[:, 2] + 0.5 * _rng(1).normal(size=n) > 0).astype(int)
    return same_labels(
        lambda: scratch.DecisionTreeClassifier(max_depth=6).fit(X, y).predict(X),
        lambda: DecisionTreeClassifier(max_depth=6, random_state=0).fit(X, y).predict(X),
    )


def gradient_boosting_fit(quick: bool) -> Prepared:
    """100 depth-3 trees on squared error; predictions compared."""
    from sklearn.ensemble import GradientBoostingRegressor

    scratch = load_stage("09", "from_scratch/gradient_boosting_numpy.py")
    n, d, trees = (300, 5, 20) if quick else (2_000, 10, 100)
    X = _rng().normal(size=(n, d))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2 + 0.1 * _rng(1).normal(size=n)
    settings = dict(n_estimators=trees, max_depth=3, learning_rate=0.1)
    return Prepared(
        lambda: scratch.GradientBoostingRegressor(**settings).fit(X, y).predict(X),
        lambda: GradientBoostingRegressor(**settings, random_state=0).fit(X, y).predict(X),
        relative_error,
        tolerance=1e-8,
    )


def conv2d_forward(quick: bool) -> Prepared:
    """A 3×3 convolution, padding 1, 1 → 32 channels on 28×28 images (float64 on both sides)."""
    import torch
    import torch.nn.functional as F

    scratch = load_stage("10", "from_scratch/conv2d_numpy.py")
    batch, c_in, c_out, size = (8, 1, 8, 28) if quick else (64, 1, 32, 28)
    x = _rng().normal(size=(batch, c_in, size, size))
    weight, bias = _rng(1).normal(size=(c_out, c_in, 3, 3)), _rng(2).normal(size=c_out)
    x_t, w_t, b_t = torch.from_numpy(x), torch.from_numpy(weight), torch.from_numpy(bias)

    def library():
        with torch.no_grad():
            return F.conv2d(x_t, w_t, b_t, padding=1).numpy()

    return Prepared(
        lambda: scratch.conv2d_forward(x, weight, bias, padding=1),
        library,
        relative_error,
        tolerance=1e-10,
    )


CASES = [
    Case("linear regression fit (lstsq vs LinearRegression)", "20,000 × 50", 3, linear_regression),
    Case("logistic regression fit (Newton vs lbfgs)", "10,000 × 30", 3, logistic_regression),
    Case("KNN predict, k=5 (vs brute force)", "10,000 train, 2,000 queries × 32", 2, knn_predict),
    Case("Gaussian NB fit + predict_proba", "50,000 × 50, 10 classes", 2, gaussian_nb),
    Case("MLP training, 10 SGD steps, float32", "batch 128, 784 → 256 → 10", 3, mlp_training_step),
    Case("decision tree fit + predict (depth 6)", "5,000 × 20", 20, decision_tree_fit),
    Case("gradient boosting fit + predict (100 trees)", "2,000 × 10", 20, gradient_boosting_fit),
    Case("conv2d forward, float64", "64 × 1 × 28 × 28, 32 filters 3×3", 5, conv2d_forward),
    Case("LSTM forward, float32", "batch 64, 50 steps, 16 → 64", 5, lstm_forward),
    Case(
        "multi-head self-attention forward, float32",
        "batch 32, 128 tokens, width 128, 8 heads",
        2,
        multihead_attention,
    ),
]
