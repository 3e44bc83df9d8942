"""Decision trees with scikit-learn: ``DecisionTreeClassifier``, ``export_graphviz``, ``plot_tree``.

Grows scikit-learn's tree and the from-scratch tree on the scratch script's iris split (so
both scripts print the same tree), prints the rules with ``export_text``, writes both trees
as Graphviz DOT source (scikit-learn's ``export_graphviz`` and ours, the same text), renders
them to PNG when Graphviz's ``dot`` is installed (otherwise draws them with ``plot_tree``)
and checks that the two are the same tree.
"""

import argparse
import shutil

from sklearn.datasets import load_iris
from sklearn.tree import export_graphviz, export_text, plot_tree

import journey
from journey import parity

STAGE = "05_decision_tree"
drawing = journey.load_stage("05", "from_scratch/_tree_drawing.py")


def write_dot_files(mine, lib, *, feature_names, class_names) -> dict:
    """Both trees as DOT files under outputs/05_decision_tree/; returns {name: path}."""
    out = journey.stage_output_dir(STAGE)
    dots = {"sklearn_tree_iris": out / "sklearn_tree_iris.dot"}
    export_graphviz(
        lib,
        out_file=str(dots["sklearn_tree_iris"]),
        feature_names=feature_names,
        class_names=class_names,
    )
    dots["scratch_tree_iris"] = out / "scratch_tree_iris.dot"
    dots["scratch_tree_iris"].write_text(
        drawing.export_graphviz(mine, feature_names=feature_names, class_names=class_names)
    )
    for path in dots.values():
        print(f"DOT source written: {path}")
    return dots


def draw(mine, lib, dots: dict, *, feature_names, class_names) -> None:
    """PNGs of both trees: Graphviz's ``dot`` when installed, else ``plot_tree``."""
    if shutil.which("dot") is not None:
        for path in dots.values():
            print(f"figure written: {drawing.render_dot(path)}")
        return
    print("Graphviz's `dot` is not installed (the README says how): drawing with plot_tree")
    plt = journey.plotting.pyplot()
    fig, ax = plt.subplots(figsize=(12, 6))
    plot_tree(
        lib,
        feature_names=feature_names,
        class_names=class_names,
        filled=True,
        rounded=True,
        fontsize=8,
        ax=ax,
    )
    journey.save_figure(fig, STAGE, "sklearn_tree_iris")
    fig = drawing.plot_tree(mine, feature_names=feature_names, class_names=class_names)
    journey.save_figure(fig, STAGE, "scratch_tree_iris_plot")


def check_same_tree(mine, lib, X_te, names, dots: dict) -> None:
    """The parity records: the same tree, the same predictions, the same text and DOT."""
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
    parity.equal(
        "iris tree: DOT source lines",
        dots["scratch_tree_iris"].read_text().splitlines(),
        dots["sklearn_tree_iris"].read_text().splitlines(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--criterion", default="gini", choices=["gini", "entropy"])
    parser.add_argument("--max-depth", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="seed of the train/test split")
    args = parser.parse_args()

    scratch = journey.load_stage("05", "from_scratch/decision_tree_numpy.py")
    twins = journey.load_stage("05", "library_impl/_tree_parity.py")
    iris = load_iris()
    names, classes = list(iris.feature_names), list(iris.target_names)
    X_tr, X_te, y_tr, y_te = scratch.held_out_split(iris.data, iris.target, seed=args.seed)

    mine = scratch.DecisionTreeClassifier(criterion=args.criterion, max_depth=args.max_depth)
    mine.fit(X_tr, y_tr)
    lib, seed = twins.sklearn_twin(
        mine, X_tr, y_tr, criterion=args.criterion, max_depth=args.max_depth
    )
    print(
        f"iris: depth {lib.get_depth()}, {lib.get_n_leaves()} leaves, "
        f"test accuracy {lib.score(X_te, y_te):.3f} ({len(y_te)} samples)"
    )
    print(export_text(lib))  # the same text as the scratch script prints
    print(", ".join(f"feature_{j} = {name}" for j, name in enumerate(names)))
    print(
        f"random_state={seed} makes scikit-learn break the exact ties of the scratch tree "
        f"(node, tied features) {mine.tied_splits_} the same way"
    )

    dots = write_dot_files(mine, lib, feature_names=names, class_names=classes)
    draw(mine, lib, dots, feature_names=names, class_names=classes)
    check_same_tree(mine, lib, X_te, names, dots)


if __name__ == "__main__":
    main()
