"""The reproducible pipeline on the quick path: it serves, it stops, and it repeats itself.

One run goes all the way (the service in its own process, a smoke request, stop); a second run
with the same settings stops after packaging. Both must record the same metrics and the same
artefact bytes — a pipeline with any unseeded randomness fails this.
"""

import json
import os
from importlib import metadata

import pytest
import torch

import journey
from pipeline.__main__ import settings_from_arguments
from pipeline.steps import deterministic_torch, run

pytestmark = pytest.mark.xdist_group("pipeline")  # one worker builds the module's fixtures once
contract = journey.load_stage("16", "from_scratch/_contract.py")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    quick = ["--quick", "--device", "cpu", "--seed", "0"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATA_DIR", str(root / "data"))
        first = run(settings_from_arguments([*quick, "--out-dir", str(root / "first")]))
        second = run(
            settings_from_arguments([*quick, "--out-dir", str(root / "second"), "--no-service"])
        )
    return root, first, second


def test_the_service_answered_the_smoke_request_and_stopped(runs):
    _, first, _ = runs
    served = first["service"]
    assert served["health"] == {"status": "ok", "models": first["artefacts"]["models"]}
    assert len(served["digit_labels"]) == 8
    assert served["max_abs_difference"] <= 1e-6
    assert served["tabular_class"] in ("malignant", "benign")
    assert served["stopped"] is True


def test_two_runs_give_identical_metrics_and_artefact_bytes(runs):
    _, first, second = runs
    assert first["metrics"] == second["metrics"]
    assert first["artefacts"] == second["artefacts"]
    assert first["data"] == second["data"]
    assert second["service"] == {"skipped": True}
    digit = first["metrics"]["digit"]
    assert digit["reloaded_test_accuracy"] == digit["test_accuracy"]
    assert first["metrics"]["tabular"]["test_accuracy"] >= 0.93


def test_the_manifest_records_versions_seeds_and_checksums_of_real_files(runs):
    root, first, _ = runs
    manifest = json.loads((root / "first" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest == json.loads(json.dumps(first))
    assert manifest["libraries"]["torch"] == metadata.version("torch")
    assert manifest["libraries"]["torch_build"].startswith(torch.__version__)
    assert manifest["training"]["seed"] == 0
    assert manifest["training"]["epochs"] == 1 and manifest["training"]["max_batches"] == 12
    for name, digest in manifest["artefacts"]["sha256"].items():
        assert contract.sha256_file(root / "first" / "16_deployment" / name) == digest
    digits = manifest["data"]["digits"]
    assert digits["source"] == "digits-standin"
    for name, digest in digits["sha256"].items():
        assert contract.sha256_file(f"{digits['folder']}/{name}") == digest


def test_quick_mode_from_the_environment(monkeypatch):
    monkeypatch.setenv("JOURNEY_QUICK", "1")
    settings = settings_from_arguments([])
    assert (settings.quick, settings.epochs, settings.max_batches, settings.data) == (
        True,
        1,
        12,
        "standin",
    )
    assert settings.out_dir == journey.OUTPUTS_DIR / "pipeline" / "quick"


def test_help_names_every_flag(capsys):
    with pytest.raises(SystemExit) as stop:
        settings_from_arguments(["--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--quick", "--no-service", "--out-dir", "--seed", "--device", "--epochs"):
        assert flag in text


def test_the_lock_pins_one_version_inside_every_range_of_requirements_txt():
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    def lines(name: str):
        text = (journey.REPO_ROOT / name).read_text(encoding="utf-8")
        return [line.split(" #")[0].strip() for line in text.splitlines() if line[:1].isalnum()]

    pins = {
        canonicalize_name(name): version
        for name, version in (line.split(";")[0].split("==") for line in lines("requirements.lock"))
    }
    for line in lines("requirements.txt"):
        wanted = Requirement(line)
        pinned = pins.get(canonicalize_name(wanted.name))
        assert pinned is not None, f"{wanted.name} is not in requirements.lock"
        assert wanted.specifier.contains(pinned, prereleases=True), (str(wanted), pinned)


def test_deterministic_torch_puts_the_previous_settings_back(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    before = torch.are_deterministic_algorithms_enabled()
    with deterministic_torch():
        assert torch.are_deterministic_algorithms_enabled()
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert torch.are_deterministic_algorithms_enabled() == before
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    with deterministic_torch():
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"
