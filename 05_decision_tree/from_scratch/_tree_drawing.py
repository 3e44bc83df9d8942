"""Show a from-scratch tree the way scikit-learn shows its own: the rules as text in the
format of ``sklearn.tree.export_text``, Graphviz DOT text and a matplotlib figure in the
style of ``sklearn.tree.plot_tree`` (a helper, not a script).

Each box shows the question (``x[j] <= t``), the impurity, the number of training samples,
the class counts (or the mean target) and the majority class. Layout: leaves are spread
evenly from left to right in depth-first order and each parent sits above the middle of
its children, so the picture reads like the ``export_text`` listing turned sideways.
"""

import shutil
import subprocess
from pathlib import Path

import numpy as np

from journey.plotting import pyplot
from journey.validation import check_is_fitted


def export_text(
    model,
    *,
    feature_names=None,
    class_names=None,
    max_depth: int = 10,
    spacing: int = 3,
    decimals: int = 2,
    show_weights: bool = False,
) -> str:
    """The tree's rules as indented text, in the format of ``sklearn.tree.export_text``."""
    check_is_fitted(model, "tree_")
    t = model.tree_
    names = (
        feature_names
        if feature_names is not None
        else [f"feature_{j}" for j in range(t.n_features)]
    )
    is_classifier = hasattr(model, "classes_")
    if is_classifier and class_names is None:
        class_names = model.classes_
    lines = []

    def leaf(node, indent):
        value = t.value[node, 0]
        if not is_classifier:
            lines.append(f"{indent} value: [{', '.join(f'{v:.{decimals}f}' for v in value)}]")
            return
        weights = ""
        if show_weights:
            counts = ", ".join(f"{v * t.n_node_samples[node]:.{decimals}f}" for v in value)
            weights = f" weights: [{counts}]"
        lines.append(f"{indent}{weights} class: {class_names[int(np.argmax(value))]}")

    def subtree_depth(node):
        if t.children_left[node] == -1:
            return 1
        return 1 + max(subtree_depth(t.children_left[node]), subtree_depth(t.children_right[node]))

    def recurse(node, depth):
        indent = ("|" + " " * spacing) * depth
        indent = indent[:-spacing] + "-" * spacing
        if depth > max_depth + 1:
            if subtree_depth(node) == 1:
                leaf(node, indent)
            else:
                lines.append(f"{indent} truncated branch of depth {subtree_depth(node)}")
        elif t.children_left[node] == -1:
            leaf(node, indent)
        else:
            name, threshold = names[t.feature[node]], f"{t.threshold[node]:.{decimals}f}"
            lines.append(f"{indent} {name} <= {threshold}")
            recurse(t.children_left[node], depth + 1)
            lines.append(f"{indent} {name} >  {threshold}")
            recurse(t.children_right[node], depth + 1)

    recurse(0, 1)
    return "\n".join(lines) + "\n"


def node_label(
    model, node: int, *, feature_names=None, class_names=None, precision: int = 3
) -> str:
    """The text of one box, with the fields (and rounding) of scikit-learn's ``export_graphviz``."""
    t = model.tree_
    lines = []
    if t.children_left[node] != -1:
        name = (
            feature_names[t.feature[node]] if feature_names is not None else f"x[{t.feature[node]}]"
        )
        lines.append(f"{name} <= {round(float(t.threshold[node]), precision)}")
    lines.append(f"{model.criterion} = {round(float(t.impurity[node]), precision)}")
    lines.append(f"samples = {t.n_node_samples[node]}")
    value = t.value[node, 0]
    if hasattr(model, "classes_"):
        counts = np.rint(value * t.n_node_samples[node]).astype(int)
        lines.append(f"value = [{', '.join(str(c) for c in counts)}]")
        if class_names is not None:
            lines.append(f"class = {class_names[int(np.argmax(value))]}")
    else:
        lines.append(f"value = {round(float(value[0]), precision)}")
    return "\n".join(lines)


def export_graphviz(model, *, feature_names=None, class_names=None) -> str:
    """The tree as Graphviz DOT source, line for line what scikit-learn's ``export_graphviz``
    writes with its default style (``dot -Tpng tree.dot -o tree.png`` renders it)."""
    t = model.tree_
    parent = np.full(t.node_count, -1)
    internal = np.flatnonzero(t.children_left != -1)
    parent[t.children_left[internal]] = internal
    parent[t.children_right[internal]] = internal
    root_edges = {
        t.children_left[0]: ' [labeldistance=2.5, labelangle=45, headlabel="True"]',
        t.children_right[0]: ' [labeldistance=2.5, labelangle=-45, headlabel="False"]',
    }
    out = [
        "digraph Tree {",
        'node [shape=box, fontname="helvetica"] ;',
        'edge [fontname="helvetica"] ;',
    ]
    for node in range(t.node_count):
        label = node_label(model, node, feature_names=feature_names, class_names=class_names)
        out.append(f'{node} [label="{label}"] ;'.replace("\n", "\\n"))
        if node > 0:  # each node is followed by the edge from its parent, as scikit-learn does
            out.append(f"{parent[node]} -> {node}{root_edges.get(node, '')} ;")
    out.append("}")
    return "\n".join(out)


def render_dot(dot_path: Path) -> Path | None:
    """Render a .dot file to PNG with Graphviz when ``dot`` is installed; return the PNG or None."""
    if shutil.which("dot") is None:
        return None
    png = Path(dot_path).with_suffix(".png")
    subprocess.run(["dot", "-Tpng", str(dot_path), "-o", str(png)], check=True)
    return png


def layout(model) -> tuple[np.ndarray, np.ndarray]:
    """(x, depth) of every node: leaves at 0, 1, 2, ... in depth-first order, parents centred."""
    t = model.tree_
    x, depth = np.zeros(t.node_count), np.zeros(t.node_count, dtype=int)
    next_leaf = 0

    def place(node, d):
        nonlocal next_leaf
        depth[node] = d
        if t.children_left[node] == -1:
            x[node], next_leaf = next_leaf, next_leaf + 1
            return
        place(t.children_left[node], d + 1)
        place(t.children_right[node], d + 1)
        x[node] = (x[t.children_left[node]] + x[t.children_right[node]]) / 2

    place(0, 0)
    return x, depth


def plot_tree(model, *, feature_names=None, class_names=None, ax=None, fontsize: int = 8):
    """Draw the tree with matplotlib; returns the figure."""
    plt = pyplot()
    t = model.tree_
    x, depth = layout(model)
    if ax is None:
        width = max(6.0, 1.9 * t.n_leaves)
        fig, ax = plt.subplots(figsize=(min(width, 40.0), 1.6 * (depth.max() + 1)))
    else:
        fig = ax.figure
    for node in np.flatnonzero(t.children_left != -1):
        for child in (t.children_left[node], t.children_right[node]):
            ax.plot(
                [x[node], x[child]], [-depth[node], -depth[child]], color="0.5", lw=0.8, zorder=1
            )
    colours = plt.get_cmap("tab10")
    is_classifier = hasattr(model, "classes_")
    for node in range(t.node_count):
        value = t.value[node, 0]
        # the purer the node, the stronger its class colour (opaque, so edges stay behind)
        colour = (
            np.array(colours(int(np.argmax(value)) % 10)[:3])
            if is_classifier
            else np.array([0.4, 0.6, 0.9])
        )
        strength = 0.2 + 0.6 * float(value.max()) if is_classifier else 0.5
        face = tuple((1.0 - strength) + strength * colour)
        ax.text(
            x[node],
            -depth[node],
            node_label(model, node, feature_names=feature_names, class_names=class_names),
            ha="center",
            va="center",
            fontsize=fontsize,
            zorder=2,
            bbox={"boxstyle": "round", "facecolor": face, "edgecolor": "0.3"},
        )
    ax.set_xlim(x.min() - 0.7, x.max() + 0.7)
    ax.set_ylim(-depth.max() - 0.6, 0.6)
    ax.axis("off")
    return fig
