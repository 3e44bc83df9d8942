"""A catalogue of learner mistakes, as data: each must be reported ✗ by ``journey check``.

Each entry copies the reference lesson files into a fresh workspace, makes one replacement
(``replace`` must occur exactly once in ``file``) and grades the named exercise. When a
learner's mistake slips through the grader, add it here, then the test that catches it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    stage: str
    exercise: str
    file: str  # inside the stage folder
    replace: str
    with_: str
    what: str

    @property
    def id(self) -> str:
        return f"{self.exercise}-{self.what.replace(' ', '-')[:40]}"


LR = "from_scratch/linear_regression_numpy.py"

MISTAKES = [
    Mistake(
        "01",
        "01.1",
        LR,
        "return 2.0 / n * (X.T @ residual), 2.0 / n * residual.sum()",
        "return 4.0 / n * (X.T @ residual), 4.0 / n * residual.sum()",
        "gradient off by a factor of 2",
    ),
    Mistake(
        "01",
        "01.1",
        LR,
        "residual = X @ w + b - y",
        "residual = y - X @ w - b",
        "residual sign flipped",
    ),
    Mistake(
        "01",
        "01.2",
        LR,
        "if np.sqrt(grad_w @ grad_w + grad_b**2) < self.tol:",
        "if np.sqrt(grad_w @ grad_w) < self.tol:",
        "stopping rule ignores the intercept",
    ),
    Mistake(
        "01",
        "01.3",
        LR,
        "theta, *_ = np.linalg.lstsq(X_tilde, y, rcond=None)",
        "theta = np.linalg.lstsq(X_tilde, y, rcond=None)[0][::-1]",
        "closed form coefficients reversed",
    ),
    Mistake(
        "02",
        "02.1",
        "from_scratch/logistic_regression_numpy.py",
        "return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        "return 1.0 / (1.0 + np.exp(-z))",
        "textbook sigmoid overflows at z = -1000",
    ),
    Mistake(
        "02",
        "02.2",
        "from_scratch/logistic_regression_numpy.py",
        "np.logaddexp(0.0, z) - y * z",
        "np.logaddexp(0.0, z) + y * z",
        "cross-entropy with the sign of y z flipped",
    ),
    Mistake(
        "02",
        "02.3",
        "from_scratch/logistic_regression_numpy.py",
        "X.T @ error / len(X) + alpha * w",
        "X.T @ error / len(X)",
        "gradient without the L2 penalty term",
    ),
    Mistake(
        "02",
        "02.3",
        "from_scratch/logistic_regression_numpy.py",
        "X.T @ error / len(X) + alpha * w",
        "X.T @ error + alpha * w",
        "gradient of the sum not the mean",
    ),
    Mistake(
        "02",
        "02.4",
        "from_scratch/logistic_regression_numpy.py",
        "hessian = (X_tilde.T * (p * (1 - p))) @ X_tilde / n",
        "hessian = X_tilde.T @ X_tilde / n",
        "Hessian without the p(1 - p) weights",
    ),
    Mistake(
        "02",
        "02.4",
        "from_scratch/logistic_regression_numpy.py",
        "@ X_tilde / n + np.diag(penalty)",
        "@ X_tilde / n + self._alpha(n) * np.eye(d + 1)",
        "Hessian penalises the intercept too",
    ),
    Mistake(
        "03",
        "03.1",
        "from_scratch/perceptron_numpy.py",
        "is_mistake = t_i * (x_i @ w + b[0]) <= 0.0",
        "is_mistake = t_i * (x_i @ w + b[0]) < 0.0",
        "a point on the line is not a mistake",
    ),
    Mistake(
        "03",
        "03.1",
        "from_scratch/perceptron_numpy.py",
        "is_mistake = t_i * (x_i @ w + b[0]) <= 0.0",
        "is_mistake = t_i * (x_i @ w) <= 0.0",
        "mistake test without the bias",
    ),
    Mistake(
        "03",
        "03.2",
        "from_scratch/perceptron_numpy.py",
        "w += step * x_i",
        "w -= step * x_i",
        "update moves the line away from the sample",
    ),
    Mistake(
        "03",
        "03.2",
        "from_scratch/perceptron_numpy.py",
        "step = self.eta0 * t_i",
        "step = t_i",
        "learning rate ignored",
    ),
    Mistake(
        "03",
        "03.2",
        "from_scratch/perceptron_numpy.py",
        "w += step * x_i",
        "w = w + step * x_i",
        "weights updated in a copy not in place",
    ),
    Mistake(
        "07",
        "07.1",
        "from_scratch/svm_numpy.py",
        "grad_w = w - C * (y[violating] @ X[violating])",
        "grad_w = -C * (y[violating] @ X[violating])",
        "hinge subgradient without the margin term w",
    ),
    Mistake(
        "07",
        "07.1",
        "from_scratch/svm_numpy.py",
        "grad_b = -C * np.sum(y[violating])",
        "grad_b = C * np.sum(y[violating])",
        "intercept subgradient sign flipped",
    ),
    Mistake(
        "07",
        "07.2",
        "from_scratch/svm_numpy.py",
        "room_i = C - alpha[i] if positive[i] else alpha[i]",
        "room_i = C - alpha[i]",
        "SMO room of alpha_i ignores its label",
    ),
    Mistake(
        "07",
        "07.2",
        "from_scratch/svm_numpy.py",
        "alpha[j] -= y[j] * t",
        "alpha[j] += y[j] * t",
        "SMO moves alpha_j the wrong way",
    ),
    Mistake(
        "07",
        "07.3",
        "from_scratch/kernel_svm_numpy.py",
        "- 2.0 * (X @ Z.T)",
        "- (X @ Z.T)",
        "RBF squared distance without the 2",
    ),
    Mistake(
        "07",
        "07.3",
        "from_scratch/kernel_svm_numpy.py",
        "np.exp(-gamma * np.maximum(squared, 0.0))",
        "np.exp(-gamma * np.sqrt(np.maximum(squared, 0.0)))",
        "RBF of the distance, not its square",
    ),
    Mistake(
        "04",
        "04.1",
        "from_scratch/mlp_two_layer_numpy.py",
        'logits = h @ params["fc2.weight"].T',
        'logits = z1 @ params["fc2.weight"].T',
        "second layer fed the pre-activation z1",
    ),
    Mistake(
        "04",
        "04.1",
        "from_scratch/mlp_two_layer_numpy.py",
        'return logits, {"X": X, "z1": z1, "h": h}',
        'return logits, {"X": X, "z1": z1, "h": z1}',
        "cache keeps z1 where backward needs h",
    ),
    Mistake(
        "04",
        "04.2",
        "from_scratch/mlp_two_layer_numpy.py",
        "    delta2 /= n\n",
        "",
        "delta2 not divided by the batch size",
    ),
    Mistake(
        "04",
        "04.2",
        "from_scratch/mlp_two_layer_numpy.py",
        "delta2[np.arange(n), y] -= 1.0",
        "delta2[:, y] -= 1.0",
        "one-hot subtracted from whole columns",
    ),
    Mistake(
        "04",
        "04.3",
        "from_scratch/mlp_two_layer_numpy.py",
        'delta1 = grad_h * activation_derivative(cache["z1"], cache["h"], activation)',
        "delta1 = grad_h",
        "activation derivative forgotten",
    ),
    Mistake(
        "04",
        "04.3",
        "from_scratch/mlp_two_layer_numpy.py",
        '"fc2.weight": delta2.T @ cache["h"]',
        '"fc2.weight": delta2.T @ cache["z1"]',
        "W2 gradient from z1 instead of h",
    ),
    Mistake(
        "09",
        "09.1",
        "from_scratch/gradient_boosting_numpy.py",
        "raw += self.learning_rate * tree.tree_.value[leaves, 0, 0]",
        "raw += tree.tree_.value[leaves, 0, 0]",
        "boosting step without shrinkage",
    ),
    Mistake(
        "09",
        "09.1",
        "from_scratch/gradient_boosting_numpy.py",
        "tree = self._new_tree(rng.spawn(1)[0]).fit(X, residual)",
        "tree = self._new_tree(rng.spawn(1)[0]).fit(X, y)",
        "every tree fitted to y not to the residuals",
    ),
    Mistake(
        "09",
        "09.2",
        "from_scratch/gradient_boosting_numpy.py",
        "total = np.sum([impurity_decrease(tree) for tree in self.estimators_], axis=0)",
        "total = impurity_decrease(self.estimators_[-1])",
        "importances from the last tree only",
    ),
    Mistake(
        "09",
        "09.2",
        "from_scratch/gradient_boosting_numpy.py",
        "total = np.sum([impurity_decrease(tree) for tree in self.estimators_], axis=0)",
        "total = np.sum([tree.feature_importances_ for tree in self.estimators_], axis=0)",
        "importances summed after normalising each tree",
    ),
    Mistake(
        "09",
        "09.3",
        "from_scratch/gradient_boosting_numpy.py",
        "        return y - sigmoid(raw)\n",
        "        return sigmoid(raw) - y\n",
        "log-loss pseudo-residuals sign flipped",
    ),
    Mistake(
        "09",
        "09.4",
        "from_scratch/gradient_boosting_numpy.py",
        "hessian = np.bincount(leaves, weights=p * (1.0 - p), minlength=n_nodes)",
        "hessian = np.bincount(leaves, minlength=n_nodes)",
        "Newton leaf divides by the count not by p(1-p)",
    ),
]
