"""Gaussian naive Bayes with scikit-learn: four bundled datasets and the effect of var_smoothing.

``GaussianNB`` fits in one pass (means, variances, priors), so it is a strong, almost free
baseline. Its one knob, ``var_smoothing``, adds ε = var_smoothing · (largest feature
variance) to every variance; on the digits, where some pixels are constant inside a class,
the validation curve shows how much that matters.
"""

import argparse

import numpy as np
from sklearn.model_selection import cross_val_score, validation_curve
from sklearn.naive_bayes import GaussianNB

import journey
from journey.data import load_bundled
from journey.plotting import pyplot

STAGE = "08_knn_naive_bayes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    args = parser.parse_args()
    quick = journey.is_quick()

    for name in ("iris", "wine", "breast_cancer", "digits"):
        X, y = load_bundled(name)
        scores = cross_val_score(GaussianNB(), X, y, cv=args.folds)
        print(f"{name:14s} {args.folds}-fold accuracy {scores.mean():.4f} ± {scores.std():.4f}")

    X, y = load_bundled("digits")
    smoothing = np.logspace(-12, 2, 8 if quick else 29)
    train, valid = validation_curve(
        GaussianNB(), X, y, param_name="var_smoothing", param_range=smoothing, cv=args.folds
    )
    mean_valid = valid.mean(axis=1)
    best = smoothing[np.argmax(mean_valid)]
    print(
        f"digits: best var_smoothing {best:.2g} → {args.folds}-fold accuracy "
        f"{mean_valid.max():.4f} (the default 1e-9 is the 'digits' line above)"
    )

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.semilogx(smoothing, train.mean(axis=1), "o-", label="train")
    ax.semilogx(smoothing, valid.mean(axis=1), "o-", label="validation")
    ax.set_xlabel("var_smoothing")
    ax.set_ylabel("accuracy")
    ax.set_title("GaussianNB on digits: variance smoothing")
    ax.legend()
    journey.save_figure(fig, STAGE, "gaussian_nb_var_smoothing")


if __name__ == "__main__":
    main()
