"""Device selection: cuda -> mps -> cpu."""

import torch

CHOICES = ("auto", "cuda", "mps", "cpu")


def available_devices() -> list[str]:
    """Names of the devices PyTorch can use on this machine, best first."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def pick_device(preferred: str | None = None) -> torch.device:
    """The best available device, or ``preferred`` if it exists here."""
    preferred = (preferred or "auto").lower()
    if preferred not in CHOICES:
        raise ValueError(f"unknown device {preferred!r}; choose one of {', '.join(CHOICES)}")
    found = available_devices()
    if preferred == "auto":
        return torch.device(found[0])
    if preferred not in found:
        raise RuntimeError(
            f"device {preferred!r} is not available on this machine "
            f"(available: {', '.join(found)}); "
            "use --device auto or --device cpu"
        )
    return torch.device(preferred)
