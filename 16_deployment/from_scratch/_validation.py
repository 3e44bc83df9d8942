"""Request validation written by hand, mirroring FastAPI + pydantic rule for rule.

What pydantic does for ``DigitBatch`` (``library_impl/_api_models.py``), written out: JSON
parsing (400 for undecodable bytes, 422 for malformed JSON), then every field checked in the
order pydantic checks it, with pydantic's own error kinds and messages — so that both servers
answer a bad request with the same JSON body.
"""

import email.message
import json
import math

import numpy as np

import journey

contract = journey.load_stage("16", "from_scratch/_contract.py")

SIDE = contract.IMAGE_SIDE


class RequestRefused(Exception):
    """A client error: the HTTP status and the body to answer with (JSON, or a plain text)."""

    def __init__(self, status: int, body: dict | str):
        super().__init__(body if isinstance(body, str) else body["message"])
        self.status = status
        self.body = body


# ============================================================ validation (mirrors pydantic's)

# pydantic's error kinds and their messages, word for word: the two servers' 422 bodies match
MESSAGES = {
    "float_type": "Input should be a valid number",
    "finite_number": "Input should be a finite number",
    "greater_than_equal": "Input should be greater than or equal to 0",
    "less_than_equal": "Input should be less than or equal to 1",
    "list_type": "Input should be a valid list",
    "missing": "Field required",
    "extra_forbidden": "Extra inputs are not permitted",
    "json_invalid": "JSON decode error",
    "model_attributes_type": "Input should be a valid dictionary or object to extract fields from",
    "string_unicode": (
        "Input should be a valid string, unable to parse raw data as a unicode string"
    ),
}


def _error(loc: list, kind: str, msg: str | None = None) -> dict:
    """One field error as pydantic lists it: where, which kind, and the sentence."""
    return {"loc": loc, "type": kind, "msg": msg or MESSAGES[kind]}


def _items(n: int) -> str:
    return f"{n} item" if n == 1 else f"{n} items"


def too_long(loc: list, max_len: int, n: int) -> dict:
    return _error(
        loc, "too_long", f"List should have at most {_items(max_len)} after validation, not {n}"
    )


def too_short(loc: list, min_len: int, n: int) -> dict:
    return _error(
        loc, "too_short", f"List should have at least {_items(min_len)} after validation, not {n}"
    )


def pixel_errors(value, loc: list) -> list[dict]:
    """A pixel must be a real number (``true`` is not), finite, and in [0, 1].

    At most one error per pixel, the first that applies: float_type (not an int or a float,
    or an integer too long for a float), finite_number, greater_than_equal, less_than_equal.
    """
    # BEGIN SOLUTION 16.1
    # task: the error of one pixel, if any: not a number (a bool is not one), not finite, < 0, > 1
    # hint: type(value) not in (int, float); float(value) can raise OverflowError; math.isfinite
    if type(value) not in (int, float):  # type(), not isinstance: bool is a subclass of int
        return [_error(loc, "float_type")]
    try:
        value = float(value)
    except OverflowError:  # an integer with hundreds of digits
        return [_error(loc, "float_type")]
    if not math.isfinite(value):
        return [_error(loc, "finite_number")]
    if value < 0:
        return [_error(loc, "greater_than_equal")]
    if value > 1:
        return [_error(loc, "less_than_equal")]
    return []
    # END SOLUTION


def list_errors(value, loc: list, min_len: int, max_len: int, item_errors) -> list[dict]:
    """A list of ``min_len``..``max_len`` valid items, checked in the order pydantic checks it.

    Not a list → one error; too long → one error (the items are not even looked at); else
    the items' errors (item i at ``loc + [i]``), and only when every item is valid, a
    too-short error.
    """
    # BEGIN SOLUTION 16.2
    # task: the errors of a list in pydantic's order: list_type, too_long, the items', too_short
    # hint: return early for a non-list or len > max_len; too_short only when the items had none
    if not isinstance(value, list):
        return [_error(loc, "list_type")]
    if len(value) > max_len:
        return [too_long(loc, max_len, len(value))]
    errors = [e for i, item in enumerate(value) for e in item_errors(item, loc + [i])]
    if not errors and len(value) < min_len:
        errors.append(too_short(loc, min_len, len(value)))
    return errors
    # END SOLUTION


def row_errors(row, loc: list) -> list[dict]:
    return list_errors(row, loc, SIDE, SIDE, pixel_errors)


def image_errors(image, loc: list) -> list[dict]:
    return list_errors(image, loc, SIDE, SIDE, row_errors)


def _lone_surrogate(text: str) -> bool:
    """True for a string JSON allows ("\\udc00") but UTF-8 cannot encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def digit_request_errors(payload) -> list[dict]:
    """Every problem with a ``/predict/digit`` body, listed as pydantic lists them."""
    if not isinstance(payload, dict):
        return [_error(["body"], "model_attributes_type")]
    if any(_lone_surrogate(key) for key in payload):  # pydantic cannot read such a key at all
        return [_error(["body"], "string_unicode")]
    if "images" in payload:
        errors = list_errors(
            payload["images"], ["body", "images"], 1, contract.MAX_BATCH, image_errors
        )
    else:
        errors = [_error(["body", "images"], "missing")]
    return errors + [_error(["body", key], "extra_forbidden") for key in payload if key != "images"]


def _well_formed_pixels(payload) -> np.ndarray | None:
    """The common, valid case checked fast: structure and types in one pass, values vectorised.

    Returns the (N, 28, 28) array, or None when anything is off (then the slow, exact checker
    above finds and names every problem).
    """
    if not (isinstance(payload, dict) and payload.keys() == {"images"}):
        return None
    images = payload["images"]
    if not (isinstance(images, list) and 1 <= len(images) <= contract.MAX_BATCH):
        return None
    for image in images:
        if not (isinstance(image, list) and len(image) == SIDE):
            return None
        for row in image:
            if not (
                isinstance(row, list)
                and len(row) == SIDE
                and all(type(v) is float or type(v) is int for v in row)
            ):
                return None
    try:
        pixels = np.array(images, dtype=np.float64)
    except OverflowError:
        return None
    if not (np.isfinite(pixels).all() and pixels.min() >= 0.0 and pixels.max() <= 1.0):
        return None
    return pixels


def validate_digit_request(payload) -> np.ndarray:
    """A parsed JSON body → (N, 28, 28) float64 pixels, or ``RequestRefused(422)`` naming fields."""
    pixels = _well_formed_pixels(payload)
    if pixels is None:
        raise RequestRefused(422, contract.validation_error_body(digit_request_errors(payload)))
    return pixels


def is_json_content_type(content_type: str | None) -> bool:
    """``application/json`` or ``application/<something>+json`` (a charset parameter is fine)."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def parse_json_body(body: bytes, content_type: str | None):
    """Bytes → Python objects, refusing what FastAPI refuses, with the same status codes.

    An empty body is a missing field (422); a body without a JSON content type is not read as
    JSON (422: cross-site forms cannot send ``application/json`` without a preflight check);
    malformed JSON is 422 at the character where it breaks; bytes that are not text, JSON
    nested too deep for the parser, or an integer longer than Python reads (4,300 digits)
    are 400.
    """
    if not body:
        raise RequestRefused(422, contract.validation_error_body([_error(["body"], "missing")]))
    if not is_json_content_type(content_type):
        raise RequestRefused(422, contract.validation_error_body(digit_request_errors(body)))
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise RequestRefused(
            422,
            contract.validation_error_body([_error(["body", exc.pos], "json_invalid")]),
        ) from exc
    except (ValueError, RecursionError) as exc:  # not UTF-8, too deep, a 5,000-digit integer
        raise RequestRefused(400, contract.error_body(contract.PARSE_ERROR)) from exc
