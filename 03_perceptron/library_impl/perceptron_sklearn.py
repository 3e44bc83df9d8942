"""scikit-learn's Perceptron as an *oracle*: it checks the from-scratch perceptron, nothing more.

The learner's perceptron is the NumPy one in ``from_scratch/``; no library is needed to
train a perceptron. This file only configures ``sklearn.linear_model.Perceptron`` to run
exactly the same rule and asserts that both produce identical weights, epoch by epoch:

- ``shuffle=False``: visit the samples in the given order, every epoch;
- ``penalty=None, alpha=0``: no regularisation, so a correct sample never moves the weights;
- ``eta0`` equal to ours, constant (Perceptron fixes ``learning_rate="constant"``);
- zero initial weights (``partial_fit`` on a fresh model starts from zeros);
- one epoch per ``partial_fit`` call, so the weights can be read after every epoch.

scikit-learn's update fires when t·(w·x + b) ≤ 0 (its "perceptron" loss is max(0, -t·score)
with gradient -t there), which is exactly the Rosenblatt rule in the from-scratch file.

Run: python perceptron_sklearn.py [--eta0 1.0] [--seed 0]
"""

import argparse

import numpy as np
from sklearn.linear_model import Perceptron


def make_oracle(eta0: float = 1.0) -> Perceptron:
    """A Perceptron configured to the plain Rosenblatt rule (see the module docstring)."""
    return Perceptron(
        penalty=None, alpha=0.0, eta0=eta0, shuffle=False, fit_intercept=True, tol=None
    )


def epoch_history(X, y, n_epochs: int, eta0: float = 1.0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(coef_, intercept_) after each of ``n_epochs`` one-epoch ``partial_fit`` calls."""
    oracle, history = make_oracle(eta0), []
    for _ in range(n_epochs):
        oracle.partial_fit(X, y, classes=np.array([0, 1]))
        history.append((oracle.coef_.copy(), oracle.intercept_.copy()))
    return history


def compare_with_scratch(
    name: str, scratch_model, X, y, eta0: float, extra_epochs: int = 3
) -> bool:
    """Record one parity check per epoch: the scratch weights must equal sklearn's exactly.

    sklearn runs ``extra_epochs`` more epochs than the scratch fit needed: there the scratch
    side's *prediction* is compared (weights frozen after convergence, or going round the
    detected cycle for XOR), which checks the stopping logic as well as the rule.
    """
    from journey import parity

    n_epochs = scratch_model.n_iter_ + extra_epochs
    ok = True
    for epoch, (ref_coef, ref_intercept) in enumerate(epoch_history(X, y, n_epochs, eta0), start=1):
        ours = np.append(*scratch_model.weights_after(epoch))
        ok &= parity.equal(
            f"{name}: (w, b) after epoch {epoch}", ours, np.append(ref_coef, ref_intercept)
        ).passed
    return ok


def main(argv=None) -> int:
    import journey

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--eta0", type=float, default=1.0, help="learning rate η (both sides)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the separable 2-D set")
    args = parser.parse_args(argv)

    scratch = journey.load_stage("03", "from_scratch/perceptron_numpy.py")
    n_samples = 40 if journey.is_quick() else 200
    models, data = scratch.train_all(args.eta0, seed=args.seed, n_samples=n_samples)
    all_ok = True
    for name, model in models.items():
        X, y = data[name]
        ok = compare_with_scratch(name, model, X, y, args.eta0)
        all_ok &= ok
        print(
            f"{name:>14}: {model.n_iter_ + 3} epochs compared "
            f"({model.n_iter_} run by the scratch fit), "
            f"weights identical every epoch: {ok}"
        )
    return 0 if all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
