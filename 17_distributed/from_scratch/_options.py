"""The command line of the stage-17 scripts: journey's shared flags plus a few numbers each.

Not a script (the leading underscore keeps the runner from executing it).
"""

import argparse

from journey.cli import deep_learning_flags


def script_parser(doc: str, **options) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of ``doc``, with ``--seed`` and ``--data-dir``.

    Each keyword ``name=(default, help)`` adds ``--name`` (underscores become hyphens) of the
    default's type, its help ending with the default: ``batch_size=(64, "global batch")``
    gives ``--batch-size``, an int, "global batch (default: 64)".
    """
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0], parents=[deep_learning_flags(device=False)]
    )
    for name, (default, text) in options.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=type(default),
            default=default,
            help=f"{text} (default: {default})",
        )
    return parser
