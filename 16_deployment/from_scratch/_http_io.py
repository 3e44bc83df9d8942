"""The part of HTTP/1.1 that uvicorn (with h11) does for FastAPI, written for ``http.server``.

Two rules keep a server honest with clients it cannot trust:

- **Framing.** Where a request's body ends is decided by its headers alone, *before* the route
  is known: ``Content-Length: N`` means exactly N bytes follow, whatever the method or path.
  A server that skips the body of a request it does not want (a GET, a 404) reads that body
  as the next request: one client message, two answers (request desync). So every body is
  read, or the connection is closed.
- **One deadline per request.** A socket timeout bounds each *read*; a client sending one
  byte every few seconds never trips it and holds a thread for ever. ``DeadlineReader`` gives
  the whole request — request line, headers and body — one deadline, counted from its first
  byte; an idle keep-alive connection is closed quietly after ``KEEP_ALIVE_SECONDS``.
"""

import io
import re
import socket
import time

import journey

contract = journey.load_stage("16", "from_scratch/_contract.py")
validation = journey.load_stage("16", "from_scratch/_validation.py")

CONTENT_LENGTH = re.compile(r"[0-9]{1,20}")  # h11's rule: ASCII digits, at most 20 of them


class RequestTimedOut(Exception):
    """The request did not arrive completely within its deadline (answer 408)."""


class ConnectionIdle(Exception):
    """No new request arrived on a keep-alive connection (close it without a word)."""


class DeadlineReader(io.RawIOBase):
    """A socket read under one deadline per request (``start_request`` clears it)."""

    def __init__(self, sock: socket.socket):
        super().__init__()
        self.sock = sock
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def start_request(self) -> None:
        """Between requests: wait up to KEEP_ALIVE_SECONDS; the first byte starts the clock."""
        self.deadline = None

    def expire_in(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def readinto(self, buffer) -> int:
        if self.deadline is None:
            self.sock.settimeout(contract.KEEP_ALIVE_SECONDS)
        else:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise RequestTimedOut
            self.sock.settimeout(remaining)
        try:
            size = self.sock.recv_into(buffer)
        except TimeoutError:
            raise (ConnectionIdle if self.deadline is None else RequestTimedOut) from None
        if size and self.deadline is None:
            self.expire_in(contract.REQUEST_DEADLINE_SECONDS)
        return size


def _header_values(headers, name: str) -> list[str]:
    """Every comma-separated value of every ``name`` header, stripped."""
    return [part.strip() for value in headers.get_all(name, []) for part in value.split(",")]


def declared_body(headers) -> int | None:
    """The body size the headers declare: a number of bytes, or None for a chunked body.

    Refuses (400)  what h11 refuses: a Content-Length that is not ASCII
    digits (``isdigit`` accepts "²" and "٣", which ``int`` then chokes on), two different
    Content-Lengths, and any Transfer-Encoding other than one ``chunked``.
    """
    encodings = headers.get_all("Transfer-Encoding", [])
    if encodings:
        if len(encodings) > 1 or encodings[0].strip().lower() != "chunked":
            raise bad_http()
        return None
    lengths = set(_header_values(headers, "Content-Length"))
    if not lengths:
        return 0
    if len(lengths) > 1 or not CONTENT_LENGTH.fullmatch(length := lengths.pop()):
        raise bad_http()
    return int(length)


def bad_http() -> validation.RequestRefused:
    return validation.RequestRefused(400, contract.error_body(contract.BAD_HTTP))


def drop_after_refusal(reader: DeadlineReader, rfile) -> None:
    """After a 413, drop what the client is still sending — at most LINGER_BYTES, for at most
    LINGER_SECONDS — so that it reads our answer instead of a connection reset. Nothing of
    the oversized body is read before the answer is sent."""
    reader.expire_in(contract.LINGER_SECONDS)
    dropped = 0
    try:
        while dropped < contract.LINGER_BYTES and (chunk := rfile.read1(1 << 16)):
            dropped += len(chunk)
    except (RequestTimedOut, ConnectionIdle, OSError):
        pass
