"""The reproducible pipeline: data → seeded training → evaluation → artefacts → service → smoke.

    make pipeline                        # = ml_journey/bin/python -m pipeline
    ml_journey/bin/python -m pipeline --quick     # the stand-in, a fraction of an epoch: seconds

Every step calls the stage that teaches it (nothing is copied): stage 11 trains and evaluates
the CNN, stage 16 packages the artefacts and serves them. ``steps.py`` holds the steps and
``run``, ``__main__.py`` the command line. The run writes ``manifest.json`` beside its
artefacts: library versions, seeds, data checksums, metrics, artefact checksums, the service's
answers — and running it twice with the same settings on the same machine gives the same
metrics and the same artefact bytes.
"""
