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

from journey.validation import (
    check_array,
    check_is_fitted,
    check_labels,
    check_n_features,
    check_X_y,
)


class Perceptron:
    """A single neuron trained with the Rosenblatt rule (binary labels 0/1).

    Mirrors scikit-learn's ``Perceptron`` with ``shuffle=False, penalty=None``: learned
    ``coef_`` has shape (1, n_features) and ``intercept_`` shape (1,).

    After ``fit``:
      ``n_iter_``         epochs run (the last one is the clean epoch when it converged)
      ``converged_``      True when an epoch made no mistake
      ``mistakes_``       number of mistakes (= weight updates) in each epoch
      ``history_``        (coef, intercept) at the end of each epoch, copies
      ``path_``           (coef, intercept) after every single update, copies
      ``cycle_``          (first_epoch, period) when an end-of-epoch state repeated, else None
      ``stop_reason_``    a sentence saying why training stopped
    """

    def __init__(self, eta0: float = 1.0, max_epochs: int = 100):
        if not np.isfinite(eta0) or eta0 <= 0:
            raise ValueError(f"eta0 (the learning rate) must be a positive number, got {eta0!r}")
        if not isinstance(max_epochs, (int, np.integer)) or max_epochs < 1:
            raise ValueError(f"max_epochs must be a positive integer, got {max_epochs!r}")
        self.eta0 = float(eta0)
        self.max_epochs = int(max_epochs)
        self.coef_ = None
        self.intercept_ = None

    # ------------------------------------------------------------------ training

    @staticmethod
    def _validate_training_data(X, y) -> tuple[np.ndarray, np.ndarray]:
        X, y = check_X_y(X, y, y_numeric=False)
        return X, check_labels(y, n_classes=2)

    def _epoch(self, X: np.ndarray, y: np.ndarray) -> int:
        """One pass over the samples in order; returns the number of mistakes (updates).

        The loop over samples is the algorithm itself: each update changes the line that
        the next sample is judged by, so the samples cannot be processed all at once.
        """
        w, b = self.coef_[0], self.intercept_
        targets = np.where(y == 1, 1.0, -1.0)
        mistakes = 0
        for x_i, t_i in zip(X, targets, strict=True):
            if t_i * (x_i @ w + b[0]) <= 0.0:
                step = self.eta0 * t_i
                w += step * x_i
                b += step
                mistakes += 1
                self.path_.append((self.coef_.copy(), self.intercept_.copy()))
        return mistakes

    def _state(self) -> bytes:
        return self.coef_.tobytes() + self.intercept_.tobytes()

    def partial_fit(self, X, y) -> "Perceptron":
        """Run exactly one epoch (weights start at zero on the first call), like sklearn's."""
        X, y = self._validate_training_data(X, y)
        if self.coef_ is not None:
            check_n_features(X, self.coef_.shape[1])
        else:
            self.coef_ = np.zeros((1, X.shape[1]))
            self.intercept_ = np.zeros(1)
            self.path_ = []
        self._epoch(X, y)
        return self

    def fit(self, X, y) -> "Perceptron":
        """Train from zero weights until an epoch makes no mistake, a cycle, or ``max_epochs``."""
        X, y = self._validate_training_data(X, y)
        self.coef_, self.intercept_ = np.zeros((1, X.shape[1])), np.zeros(1)
        self.mistakes_, self.history_, self.path_ = [], [], []
        self.cycle_, self.converged_ = None, False
        seen = {self._state(): 0}  # end-of-epoch state -> epoch number (0: the initial zeros)
        for epoch in range(1, self.max_epochs + 1):
            mistakes = self._epoch(X, y)
            self.mistakes_.append(mistakes)
            self.history_.append((self.coef_.copy(), self.intercept_.copy()))
            if mistakes == 0:
                self.converged_ = True
                self.stop_reason_ = (
                    f"converged: epoch {epoch} made no mistake "
                    f"(weights last changed in epoch {epoch - 1})"
                )
                break
            state = self._state()
            if state in seen:
                self.cycle_ = (seen[state], epoch - seen[state])
                self.stop_reason_ = (
                    f"cycling: the weights after epoch {epoch} equal those after "
                    f"epoch {seen[state]}"
                    f"{' (the initial zeros)' if seen[state] == 0 else ''}, "
                    f"so every later epoch repeats a period of {self.cycle_[1]} with mistakes; "
                    "no straight line separates the classes (the data are not linearly separable)"
                )
                break
            seen[state] = epoch
        else:
            self.stop_reason_ = (
                f"stopped after max_epochs={self.max_epochs} epochs with mistakes "
                "still happening; the data may not be linearly separable"
            )
        self.n_iter_ = len(self.mistakes_)
        return self

    def weights_after(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """(coef, intercept) after ``epoch`` epochs, also beyond ``n_iter_`` when that is known.

        Converged: no later epoch makes a mistake, so the weights stay put. Cycling: the
        epochs after ``first_epoch`` repeat with the cycle's period. Otherwise unknown.
        """
        check_is_fitted(self, "coef_")
        if not isinstance(epoch, (int, np.integer)) or epoch < 0:
            raise ValueError(f"epoch must be an integer ≥ 0, got {epoch!r}")
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

    # ------------------------------------------------------------------ prediction

    def decision_function(self, X) -> np.ndarray:
        """The score w·x + b of each sample (its signed distance to the line, times ‖w‖)."""
        check_is_fitted(self, "coef_")
        X = check_array(X)
        check_n_features(X, self.coef_.shape[1])
        return X @ self.coef_[0] + self.intercept_[0]

    def predict(self, X) -> np.ndarray:
        """The step activation: 1 where the score is > 0, else 0."""
        return (self.decision_function(X) > 0).astype(np.int64)

    def score(self, X, y) -> float:
        """Accuracy on (X, y)."""
        return float(np.mean(self.predict(X) == check_labels(y, n_classes=2)))


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


# ---------------------------------------------------------------------- figures


def _draw_line(ax, w, b, lo, hi, **style) -> None:
    """Draw w·x + b = 0 (nothing when w = 0: then there is no line at all)."""
    if w[1] != 0:
        xs = np.array([lo[0], hi[0]])
        ax.plot(xs, -(w[0] * xs + b) / w[1], **style)
    elif w[0] != 0:
        ax.axvline(-b / w[0], **style)


def plot_decision_line(ax, model: Perceptron, X, y, title: str) -> None:
    """Scatter the two classes and draw the learned line w·x + b = 0 with its positive side.

    For a fit that did not converge, the lines visited during its last epoch are drawn
    dashed: each update fixes the sample it got wrong and breaks another one.
    """
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    zz = model.predict(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
    ax.contourf(xx, yy, zz, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"], alpha=0.6)
    if not model.converged_:
        last_epoch = model.path_[-model.mistakes_[-1] :]
        for k, (coef, intercept) in enumerate(last_epoch, start=1):
            _draw_line(
                ax,
                coef[0],
                intercept[0],
                lo,
                hi,
                color="0.45",
                ls="--",
                lw=1,
                label=f"after update {k}",
            )
    _draw_line(ax, model.coef_[0], model.intercept_[0], lo, hi, color="k", lw=1.5)
    ax.scatter(X[y == 0, 0], X[y == 0, 1], c="#d62728", marker="o", edgecolor="k", label="0")
    ax.scatter(X[y == 1, 0], X[y == 1, 1], c="#1f77b4", marker="s", edgecolor="k", label="1")
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), title=title, xlabel="x₁", ylabel="x₂")


def plot_gates(models: dict, data: dict):
    """Decision lines for every gate/data set, one panel each."""
    from journey.plotting import pyplot

    plt = pyplot()
    fig, axes = plt.subplots(1, len(models), figsize=(4 * len(models), 3.8))
    for ax, (name, model) in zip(np.atleast_1d(axes), models.items(), strict=True):
        X, y = data[name]
        verdict = f"converged in {model.n_iter_} epochs" if model.converged_ else "FAILED (cycles)"
        w, b = np.round(model.coef_[0], 2), round(float(model.intercept_[0]), 2)
        title = f"{name}: {verdict}, {model.score(X, y):.0%} acc.\nw = {w.tolist()}, b = {b}"
        plot_decision_line(ax, model, X, y, title)
        if not model.converged_:
            ax.legend(loc="upper center", fontsize=8)
    fig.tight_layout()
    return fig


def plot_mistakes(models: dict):
    """Mistakes per epoch: separable sets drop to zero, XOR never does."""
    from journey.plotting import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    horizon = max(model.n_iter_ for model in models.values())
    for name, model in models.items():
        (line,) = ax.plot(np.arange(1, model.n_iter_ + 1), model.mistakes_, marker="o", label=name)
        if model.cycle_ is not None:
            start, period = model.cycle_
            later = np.arange(model.n_iter_ + 1, horizon + 1)
            repeated = [model.mistakes_[start + (e - start - 1) % period] for e in later]
            ax.plot(
                np.r_[model.n_iter_, later],
                np.r_[model.mistakes_[-1], repeated],
                ls=":",
                color=line.get_color(),
                label=f"{name}: the cycle repeats forever",
            )
    ax.set(
        xlabel="epoch",
        ylabel="mistakes (updates) in the epoch",
        title="Perceptron errors per epoch",
    )
    ax.legend()
    fig.tight_layout()
    return fig


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
    gate_models = {k: models[k] for k in ("AND", "OR", "XOR")}
    journey.save_figure(plot_gates(gate_models, data), "03_perceptron", "gates_decision_lines")
    journey.save_figure(
        plot_gates({"separable 2-D": models["separable 2-D"]}, data),
        "03_perceptron",
        "separable_2d_decision_line",
    )
    journey.save_figure(plot_mistakes(models), "03_perceptron", "mistakes_per_epoch")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
