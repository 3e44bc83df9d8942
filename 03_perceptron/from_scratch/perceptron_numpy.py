"""Rosenblatt's perceptron from scratch: one neuron, a step activation and a mistake-driven rule.

The neuron computes a weighted sum and thresholds it:

    score(x) = w·x + b          ŷ = step(score) = 1 if score > 0 else 0

Training visits the samples one at a time, in a fixed order. With the labels written as
t = +1 (class 1) or t = -1 (class 0), a sample is a *mistake* when t·(w·x + b) ≤ 0
(on the wrong side of the line, or exactly on it), and only a mistake changes the weights:

    w ← w + η·t·x        b ← b + η·t

That is the whole algorithm. Each mistake turns the line towards the sample it got wrong.
Starting from w = 0, b = 0:

- if the data are linearly separable, the perceptron convergence theorem (Novikoff, 1962)
  bounds the number of mistakes by (R/γ)², so an epoch with no mistake arrives after a
  finite number of epochs, and training stops there with 100 % training accuracy;
- if they are not (XOR), some sample is always wrong, so the weights keep moving. With a
  fixed visiting order, the state at the end of an epoch decides the whole next epoch: as
  soon as an end-of-epoch state repeats, training is caught in a cycle and can never
  converge. ``fit`` detects that and stops instead of looping forever.

Run: python perceptron_numpy.py [--eta0 1.0] [--max-epochs 100] [--seed 0]
"""

import argparse

import numpy as np

from journey.estimator import BaseEstimator, ClassifierMixin
from journey.validation import (
    check_classification_targets,
    check_fitted_input,
    check_float,
    check_int,
    check_is_fitted,
    check_labels,
    check_n_features,
    check_X_y,
    warn_not_converged,
)

STAGE = "03_perceptron"


class Perceptron(ClassifierMixin, BaseEstimator):
    """A single neuron trained with the Rosenblatt rule (two classes, any labels).

    Mirrors scikit-learn's ``Perceptron`` with ``shuffle=False, penalty=None``: learned
    ``coef_`` has shape (1, n_features), ``intercept_`` shape (1,), and ``classes_`` holds
    the two labels (t = +1 is ``classes_[1]``, t = −1 is ``classes_[0]``).

    After ``fit`` (``partial_fit`` records its epochs in the same lists):
      ``n_iter_``         epochs run (the last one is the clean epoch when it converged)
      ``converged_``      True when the last epoch made no mistake
      ``mistakes_``       number of mistakes (= weight updates) in each epoch
      ``history_``        (coef, intercept) at the end of each epoch, copies
      ``path_``           (coef, intercept) after every single update, copies
      ``cycle_``          (first_epoch, period) when an end-of-epoch state repeated, else None
      ``stop_reason_``    a sentence saying why training stopped

    Reaching ``max_epochs`` with mistakes still happening emits a ``ConvergenceWarning``.
    """

    def __init__(self, eta0: float = 1.0, max_epochs: int = 100):
        self.eta0 = eta0
        self.max_epochs = max_epochs

    def _epoch(self, X: np.ndarray, targets: np.ndarray) -> int:
        """One pass over the samples in order; returns the number of mistakes (updates).

        The loop over samples is the algorithm itself: each update changes the line that
        the next sample is judged by, so the samples cannot be processed all at once.
        """
        w, b = self.coef_[0], self.intercept_
        mistakes = 0
        for x_i, t_i in zip(X, targets, strict=True):
            # BEGIN SOLUTION 03.1
            # task: decide whether x_i is a mistake: on the wrong side of the line, or on it
            # hint: with the target t_i = ±1 it is a mistake when t_i·(w·x_i + b) ≤ 0
            is_mistake = t_i * (x_i @ w + b[0]) <= 0.0
            # END SOLUTION
            if is_mistake:
                # BEGIN SOLUTION 03.2
                # task: the perceptron update: move w and b (in place) towards the sample's side
                # hint: w ← w + η·t_i·x_i and b ← b + η·t_i, with η = self.eta0 (use += on w, b)
                step = self.eta0 * t_i
                w += step * x_i
                b += step
                # END SOLUTION
                mistakes += 1
                self.path_.append((self.coef_.copy(), self.intercept_.copy()))
        return mistakes

    def fit(self, X, y) -> "Perceptron":
        """Train from zero weights until an epoch makes no mistake, a cycle, or ``max_epochs``."""
        X, targets = self._start(X, y)
        seen = {self._state(): 0}  # end-of-epoch state -> epoch number (0: the initial zeros)
        for epoch in range(1, self.max_epochs + 1):
            if self._recorded_epoch(X, targets) == 0:
                self.converged_ = True
                self.stop_reason_ = converged_reason(epoch)
                break
            state = self._state()
            if state in seen:
                self.cycle_ = (seen[state], epoch - seen[state])
                self.stop_reason_ = cycle_reason(epoch, *self.cycle_)
                break
            seen[state] = epoch
        else:
            self.stop_reason_ = limit_reason(self.max_epochs)
            warn_not_converged(self, "max_epochs", self.max_epochs)
        return self

    def partial_fit(self, X, y, classes=None) -> "Perceptron":
        """Run exactly one epoch, like scikit-learn's: from zero weights on the first call
        (``classes`` names both labels when the first batch lacks one), from the current
        weights afterwards. The epoch is recorded in ``mistakes_``, ``history_``, ``path_``."""
        if getattr(self, "coef_", None) is None:
            X, targets = self._start(X, y, classes)
        else:
            X, targets, _ = check_training_data(self, X, y, self.classes_)
            check_n_features(X, self.n_features_in_)
        mistakes = self._recorded_epoch(X, targets)
        self.converged_ = mistakes == 0
        self.stop_reason_ = f"partial_fit: epoch {self.n_iter_} made {mistakes} mistake(s)"
        return self

    def decision_function(self, X) -> np.ndarray:
        """The score w·x + b of each sample (its signed distance to the line, times ‖w‖)."""
        X = check_fitted_input(self, X, "coef_")
        return X @ self.coef_[0] + self.intercept_[0]

    def predict(self, X) -> np.ndarray:
        """The step activation: ``classes_[1]`` where the score is > 0, else ``classes_[0]``."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]

    # ------------------------------------------------------------------ bookkeeping

    def _start(self, X, y, classes=None) -> tuple[np.ndarray, np.ndarray]:
        """Validate, then reset: zero weights, empty records. Returns X and the ±1 targets."""
        X, targets, self.classes_ = check_training_data(self, X, y, classes)
        self.n_features_in_ = X.shape[1]
        self.coef_, self.intercept_ = np.zeros((1, X.shape[1])), np.zeros(1)
        self.mistakes_, self.history_, self.path_ = [], [], []
        self.cycle_, self.converged_ = None, False
        return X, targets

    def _recorded_epoch(self, X: np.ndarray, targets: np.ndarray) -> int:
        mistakes = self._epoch(X, targets)
        self.mistakes_.append(mistakes)
        self.history_.append((self.coef_.copy(), self.intercept_.copy()))
        self.n_iter_ = len(self.mistakes_)
        return mistakes

    def _state(self) -> bytes:
        return self.coef_.tobytes() + self.intercept_.tobytes()

    def weights_after(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """(coef, intercept) after ``epoch`` epochs, also beyond ``n_iter_`` when that is known.

        Converged: no later epoch makes a mistake, so the weights stay put. Cycling: the
        epochs after ``first_epoch`` repeat with the cycle's period. Otherwise unknown.
        """
        check_is_fitted(self, "coef_")
        check_int(epoch, "epoch", minimum=0)
        if epoch == 0:
            return np.zeros_like(self.coef_), np.zeros_like(self.intercept_)
        if epoch <= self.n_iter_ or self.converged_:
            return self.history_[min(epoch, self.n_iter_) - 1]
        if self.cycle_ is None:
            raise ValueError(
                f"epoch {epoch} is beyond the {self.n_iter_} epochs run and no cycle was found"
            )
        first, period = self.cycle_
        return self.weights_after(first + (epoch - first) % period)


# ---------------------------------------------------------------------- checks and messages


def check_training_data(model: Perceptron, X, y, classes=None):
    """Check the hyper-parameters; return X, the targets t = ±1 and the two classes.

    As scikit-learn: any two labels work (ints, strings) and t = +1 marks the larger one,
    ``classes[1]``; one class is refused, since there is no line to learn. ``classes``
    (``partial_fit``) lets a batch hold only one of them.
    """
    check_float(model.eta0, "eta0", minimum=0.0, strict_minimum=True)
    check_int(model.max_epochs, "max_epochs", minimum=1)
    X, y = check_X_y(X, y, y_numeric=False)
    labels, _ = check_classification_targets(y, min_classes=2 if classes is None else 1)
    classes = labels if classes is None else np.unique(classes)
    if len(classes) != 2:
        raise ValueError(
            f"the perceptron separates two classes, got {len(classes)} classes "
            f"{classes[:5].tolist()}; keep two (stage 04's network handles more)"
        )
    unknown = np.setdiff1d(labels, classes)
    if unknown.size:
        raise ValueError(f"y holds labels {unknown.tolist()} outside classes {classes.tolist()}")
    return X, np.where(y == classes[1], 1.0, -1.0), classes


def converged_reason(epoch: int) -> str:
    return f"converged: epoch {epoch} made no mistake (weights last changed in epoch {epoch - 1})"


def cycle_reason(epoch: int, first: int, period: int) -> str:
    return (
        f"cycling: the weights after epoch {epoch} equal those after epoch {first}"
        f"{' (the initial zeros)' if first == 0 else ''}, so every later epoch repeats a "
        f"period of {period} with mistakes; no straight line separates the classes "
        "(the data are not linearly separable)"
    )


def limit_reason(max_epochs: int) -> str:
    return (
        f"stopped after max_epochs={max_epochs} epochs with mistakes still happening; "
        "the data may not be linearly separable"
    )


# ---------------------------------------------------------------------- data and theory


def separable_2d(n_samples: int = 100, *, margin: float = 0.1, seed: int = 0):
    """A seeded linearly separable 2-D set and the line that made it.

    Points are uniform in [-1, 1]²; the labels come from a random line through the square,
    and points closer to that line than ``margin`` are dropped, so the set is separable
    with geometric margin ≥ ``margin``. Returns ``X, y, w_true, b_true`` (‖w_true‖ = 1).
    """
    if not 0 <= margin < 1:
        raise ValueError(f"margin must be in [0, 1) (the points lie in [-1, 1]²), got {margin}")
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi)
    w_true, b_true = np.array([np.cos(angle), np.sin(angle)]), rng.uniform(-0.3, 0.3)
    X = np.empty((0, 2))
    while len(X) < n_samples:
        candidates = rng.uniform(-1, 1, size=(2 * n_samples, 2))
        keep = np.abs(candidates @ w_true + b_true) >= margin
        if not keep.any():
            raise ValueError(f"margin={margin} leaves (almost) no room on either side of the line")
        X = np.vstack([X, candidates[keep]])
    X = X[:n_samples]
    y = (X @ w_true + b_true > 0).astype(np.int64)
    return X, y, w_true, b_true


def mistake_bound(X, y, w_star, b_star) -> float:
    """Novikoff's bound (R/γ)² on the total number of mistakes, for a separating (w*, b*).

    Append a constant 1 to every x so that the bias is one more weight: x̃ = (x, 1),
    ṽ = (w*, b*). R = max ‖x̃‖ and γ = min t·(ṽ·x̃) / ‖ṽ‖ (the margin of that separator in
    the augmented space). Any separator gives a valid bound; the best one gives the tightest.
    """
    X, y = check_X_y(X, y, y_numeric=False)
    X_aug = np.hstack([X, np.ones((len(X), 1))])
    v = np.append(np.asarray(w_star, dtype=np.float64), b_star)
    t = np.where(check_labels(y, n_classes=2) == 1, 1.0, -1.0)
    gamma = float(np.min(t * (X_aug @ v)) / np.linalg.norm(v))
    if gamma <= 0:
        raise ValueError("(w_star, b_star) does not separate the data, so it gives no bound")
    radius = float(np.max(np.linalg.norm(X_aug, axis=1)))
    return (radius / gamma) ** 2


# a separating line for each separable gate: w·x + b > 0 exactly on the 1s
GATE_SEPARATORS = {"AND": (np.array([1.0, 1.0]), -1.5), "OR": (np.array([1.0, 1.0]), -0.5)}


# ---------------------------------------------------------------------- main


def train_all(eta0: float = 1.0, max_epochs: int = 100, seed: int = 0, n_samples: int = 100):
    """Fit a perceptron on AND, OR, a seeded separable 2-D set and XOR; return models and data."""
    from journey.data import logic_gate

    data = {gate: logic_gate(gate) for gate in ("AND", "OR", "XOR")}
    X, y, _, _ = separable_2d(n_samples, seed=seed)
    data["separable 2-D"] = (X, y)
    models = {
        name: Perceptron(eta0=eta0, max_epochs=max_epochs).fit(X, y)
        for name, (X, y) in data.items()
    }
    return models, data


def main(argv=None) -> int:
    import journey

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--eta0", type=float, default=1.0, help="learning rate η")
    parser.add_argument("--max-epochs", type=int, default=100, help="safety cap on epochs")
    parser.add_argument("--seed", type=int, default=0, help="seed of the separable 2-D set")
    args = parser.parse_args(argv)

    n_samples = 40 if journey.is_quick() else 200
    models, data = train_all(args.eta0, args.max_epochs, args.seed, n_samples)
    _, _, w_true, b_true = separable_2d(n_samples, seed=args.seed)
    separators = {**GATE_SEPARATORS, "separable 2-D": (w_true, b_true)}
    for name, model in models.items():
        X, y = data[name]
        bound = "(no bound)"
        if name in separators:
            bound = f"(bound {mistake_bound(X, y, *separators[name]):.0f})"
        print(
            f"{name:>14}: {model.n_iter_:3d} epochs, {sum(model.mistakes_):3d} mistakes "
            f"{bound:>12}, "
            f"train accuracy {model.score(X, y):.0%} -- {model.stop_reason_}"
        )
    figures = journey.load_stage("03", "from_scratch/_perceptron_figures.py")
    gate_models = {k: models[k] for k in ("AND", "OR", "XOR")}
    journey.save_figure(figures.plot_gates(gate_models, data), STAGE, "gates_decision_lines")
    separable = {"separable 2-D": models["separable 2-D"]}
    journey.save_figure(figures.plot_gates(separable, data), STAGE, "separable_2d_decision_line")
    journey.save_figure(figures.plot_mistakes(models), STAGE, "mistakes_per_epoch")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
