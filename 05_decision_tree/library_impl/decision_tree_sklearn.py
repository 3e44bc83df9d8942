"""Decision trees with scikit-learn: ``DecisionTreeClassifier``, ``export_graphviz``, ``plot_tree``.

Fits a tree on iris, prints its rules with ``export_text``, writes the Graphviz ``.dot``
file (rendered to PNG when Graphviz's ``dot`` is installed, otherwise the same tree is drawn
with ``plot_tree``), then grows the from-scratch tree with the same settings, draws it the
same way and checks that the two are the same tree.
"""

import argparse
from pathlib import Path

from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier, export_graphviz, export_text, plot_tree

import journey
from journey import parity

STAGE = "05_decision_tree"


def fit_tree(X, y, *, criterion="gini", max_depth=None, random_state=0) -> DecisionTreeClassifier:
    """A fitted ``DecisionTreeClassifier`` (scikit-learn casts X to float32 internally)."""
    return DecisionTreeClassifier(
        criterion=criterion, max_depth=max_depth, random_state=random_state
    ).fit(X, y)


def write_dot(model, path: Path, *, feature_names, class_names) -> Path:
    """Write the tree as Graphviz DOT source with scikit-learn's ``export_graphviz``."""
    export_graphviz(
        model,
        out_file=str(path),
        feature_names=feature_names,
        class_names=class_names,
        filled=True,
        rounded=True,
    )
    return path


def draw(model, name: str, *, feature_names, class_names) -> Path:
    """PNG of the tree: Graphviz when ``dot`` is installed, else matplotlib's ``plot_tree``."""
    drawing = journey.load_stage("05", "from_scratch/_tree_drawing.py")
    dot = write_dot(
        model,
        journey.stage_output_dir(STAGE) / f"{name}.dot",
        feature_names=feature_names,
        class_names=class_names,
    )
    png = drawing.render_dot(dot)
    if png is not None:
        print(f"figure written: {png}")
        return png
    plt = journey.plotting.pyplot()
    fig, ax = plt.subplots(figsize=(12, 6))
    plot_tree(
        model,
        feature_names=feature_names,
        class_names=class_names,
        filled=True,
        rounded=True,
        fontsize=8,
        ax=ax,
    )
    return journey.save_figure(fig, STAGE, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--criterion", default="gini", choices=["gini", "entropy"])
    parser.add_argument("--max-depth", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="seed of the train/test split")
    args = parser.parse_args()

    scratch = journey.load_stage("05", "from_scratch/decision_tree_numpy.py")
    drawing = journey.load_stage("05", "from_scratch/_tree_drawing.py")
    twins = journey.load_stage("05", "library_impl/_tree_parity.py")
    iris = load_iris()
    names, classes = list(iris.feature_names), list(iris.target_names)
    X_tr, X_te, y_tr, y_te = train_test_split(
        iris.data, iris.target, test_size=0.25, random_state=args.seed, stratify=iris.target
    )

    mine = scratch.DecisionTreeClassifier(criterion=args.criterion, max_depth=args.max_depth).fit(
        X_tr, y_tr
    )
    lib, seed = twins.sklearn_twin(
        mine, X_tr, y_tr, criterion=args.criterion, max_depth=args.max_depth
    )
    print(
        f"scikit-learn: depth {lib.get_depth()}, {lib.get_n_leaves()} leaves, "
        f"test accuracy {lib.score(X_te, y_te):.3f}; random_state={seed} "
        f"(exact ties in the scratch tree at {mine.tied_splits_})"
    )
    print(export_text(lib, feature_names=names))

    draw(lib, "sklearn_tree_iris", feature_names=names, class_names=classes)
    dot = journey.stage_output_dir(STAGE) / "scratch_tree_iris.dot"
    dot.write_text(drawing.export_graphviz(mine, feature_names=names, class_names=classes))
    if drawing.render_dot(dot) is None:
        fig = drawing.plot_tree(mine, feature_names=names, class_names=classes)
        journey.save_figure(fig, STAGE, "scratch_tree_iris_plot")

    parity.equal("iris tree: features", mine.tree_.feature, lib.tree_.feature)
    parity.equal("iris tree: thresholds", mine.tree_.threshold, lib.tree_.threshold)
    parity.equal("iris tree: test predictions", mine.predict(X_te), lib.predict(X_te))
    parity.equal("iris tree: test probabilities", mine.predict_proba(X_te), lib.predict_proba(X_te))
    parity.close(
        "iris tree: feature importances",
        mine.feature_importances_,
        lib.feature_importances_,
        atol=1e-10,
    )
    parity.equal(
        "iris tree: export_text lines",
        drawing.export_text(mine, feature_names=names).splitlines(),
        export_text(lib, feature_names=names).splitlines(),
    )


if __name__ == "__main__":
    main()
