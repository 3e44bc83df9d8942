"""Uploaded pictures → MNIST-style 28×28 frames, with the cost of a picture bounded first.

A PNG is compressed: 62 kB can declare 4000×4000 RGBA pixels, 64 MB once decoded, and decoding
it costs ~0.6 s of CPU. So the picture's size is read from its *header* — Pillow's
``Image.open`` is lazy: it parses the header and decodes nothing until ``load()`` — and a picture
over ``MAX_IMAGE_PIXELS`` is refused with 413 before a single pixel is decoded. Pictures within
the limit are decoded by two dedicated threads (``DECODERS``), so memory stays bounded however
many uploads arrive together (the others wait their turn).
"""

import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PIL import Image

import journey

contract = journey.load_stage("16", "from_scratch/_contract.py")

SIDE = contract.IMAGE_SIDE
MAX_IMAGE_PIXELS = 2_000_000  # e.g. 1600×1200: a scan or a resized photo; 8 MB decoded as RGBA
# Pictures are decoded by these two threads only, whatever the number of requests: at most two
# decoded pictures in memory, and the memory the allocator keeps per thread is kept twice, not
# once per request thread (measured: 16 concurrent 2-megapixel uploads grew RSS by 375 MB
# when each request thread decoded its own picture, two at a time).
DECODERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="decode")
WORKING_SIDE = 512  # large pictures are shrunk to this before the NumPy work
INK_THRESHOLD = 0.2  # a pixel with at least this much ink belongs to the digit's box
MIN_CONTRAST = 0.15  # below this ink/background difference the image holds no digit


class UploadRejected(Exception):
    """An upload the service cannot use; ``status`` is the HTTP answer (400 or 413)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def too_many_pixels(description: str) -> UploadRejected:
    return UploadRejected(
        413,
        f"the image is {description}; at most {MAX_IMAGE_PIXELS:,} pixels are accepted "
        "(a digit needs far fewer: shrink the picture)",
    )


def open_lazily(payload: bytes) -> Image.Image:
    """Parse the header only: format and size are known, no pixel is decoded yet."""
    if not payload:
        raise UploadRejected(
            400, "the uploaded file is empty: send a PNG or JPEG image of one digit"
        )
    try:
        image = Image.open(io.BytesIO(payload), formats=["PNG", "JPEG"])
    except Image.DecompressionBombError as exc:  # Pillow's own, far higher, limit
        raise too_many_pixels("far too large") from exc
    except Exception as exc:
        raise UploadRejected(
            400,
            f"the upload is not an image this service can decode ({type(exc).__name__}); "
            "send a PNG or JPEG file",
        ) from exc
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise too_many_pixels(f"{width}×{height} pixels")
    return image


def grey_picture(image: Image.Image) -> np.ndarray:
    """Decode (the expensive step), flatten transparency onto white paper, shrink, make grey."""
    image.load()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    grey = image.convert("L")
    grey.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(grey, dtype=np.float32) / 255.0


def decode_upload(payload: bytes) -> np.ndarray:
    """PNG/JPEG bytes → a grey picture as floats in [0, 1] (transparent areas count as white paper).

    Any failure to decode client bytes is the client's problem (400), whatever exception the
    image library happens to raise for that particular kind of garbage.
    """
    image = open_lazily(payload)
    try:
        return DECODERS.submit(grey_picture, image).result()
    except Exception as exc:
        raise UploadRejected(
            400,
            f"the image could not be decoded ({type(exc).__name__}: {exc}); "
            "the file may be truncated or corrupt",
        ) from exc


def mnist_frame(grey: np.ndarray) -> np.ndarray:
    """A grey picture of one digit → a 28×28 frame made the way MNIST's digits were made.

    1. MNIST is white ink on black: when the picture's border (the paper) is light, invert it.
    2. Subtract the paper's grey level and stretch so the darkest ink becomes 1.
    3. Crop to the box around the ink, scale it (keeping its aspect ratio) so its longer side is
       20 pixels, with anti-aliasing.
    4. Paste it into a 28×28 black frame so that its centre of mass sits at the frame's centre.
    """
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    paper = float(np.median(border))
    if paper > 0.5:
        grey, paper = 1.0 - grey, 1.0 - paper
    ink = grey - paper
    peak = float(ink.max())
    if peak < MIN_CONTRAST:
        raise UploadRejected(400, "no digit found: the image is (nearly) one uniform colour")
    ink = np.clip(ink / peak, 0.0, 1.0).astype(np.float32)
    rows = np.flatnonzero(ink.max(axis=1) >= INK_THRESHOLD)
    cols = np.flatnonzero(ink.max(axis=0) >= INK_THRESHOLD)
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = 20.0 / max(crop.shape)
    height, width = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    box = np.asarray(Image.fromarray(crop).resize((width, height), Image.Resampling.LANCZOS))
    box = np.clip(box, 0.0, 1.0)
    mass = box.sum()
    centre_row = (box.sum(axis=1) @ np.arange(height)) / mass
    centre_col = (box.sum(axis=0) @ np.arange(width)) / mass
    middle = (SIDE - 1) / 2
    top = int(np.clip(round(middle - centre_row), 0, SIDE - height))
    left = int(np.clip(round(middle - centre_col), 0, SIDE - width))
    frame = np.zeros((SIDE, SIDE), dtype=np.float32)
    frame[top : top + height, left : left + width] = box
    return frame
