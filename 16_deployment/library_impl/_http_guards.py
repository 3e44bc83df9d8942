"""What stands between the network and the FastAPI routes: limits, deadlines, JSON refusals.

- ``RequestGate`` (ASGI middleware): a chunked body is refused with 411 and a declared
  ``Content-Length`` over the limit with 413, both before a byte of the body is read; the 413
  closes the connection, so the rest of the body is never read either.
- ``DeadlineH11Protocol`` (uvicorn's HTTP/1.1 protocol, subclassed): one deadline for the
  whole request, headers and body, counted from its first byte; past it the client gets a
  JSON 408 and the connection closes. uvicorn bounds only the idle time between requests, so
  without this a client sending a byte every few seconds holds a connection for ever. Its
  protocol errors (a non-ASCII Content-Length, ...) are answered in JSON too.
- The exception handlers and ``JsonResponse``: every refusal has the same JSON shape and the
  same bytes as the ``http.server`` twin's (``_contract.json_bytes``).
"""

import asyncio

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.protocols.http.h11_impl import H11Protocol

import journey

contract = journey.load_stage("16", "from_scratch/_contract.py")


class JsonResponse(JSONResponse):
    """Starlette's JSONResponse, written by the one function both servers use."""

    def render(self, content) -> bytes:
        return contract.json_bytes(content)


class RequestGate:
    """ASGI middleware: 411 for chunked bodies, 400 for a malformed length, 413 over the limit."""

    def __init__(self, app, max_bytes: int = contract.MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            refusal = self.refusal(Headers(scope=scope))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, headers: Headers) -> JsonResponse | None:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self.refuse(411, contract.CHUNKED)
        declared = headers.get("content-length")
        if declared is None:
            return None
        if not (declared.isascii() and declared.isdigit()):  # uvicorn refuses these first
            return self.refuse(400, contract.BAD_HTTP)
        if int(declared) > self.max_bytes:
            return JsonResponse(
                contract.too_large_body(int(declared)),
                status_code=413,
                headers={"connection": "close"},
            )
        return None

    @staticmethod
    def refuse(status: int, message: str) -> JsonResponse:
        return JsonResponse(
            contract.error_body(message), status_code=status, headers={"connection": "close"}
        )


async def on_validation_error(request: Request, exc: RequestValidationError) -> JsonResponse:
    """422 with the field errors (never the offending values: a NaN would not even serialise)."""
    return JsonResponse(contract.validation_error_body(list(exc.errors())), status_code=422)


async def on_http_error(request: Request, exc: StarletteHTTPException) -> JsonResponse:
    """Every other refusal (400, 404, 405, 413, ...) in the same JSON shape as a 422."""
    return JsonResponse(
        contract.error_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with one deadline per request and JSON protocol errors."""

    deadline_seconds = contract.REQUEST_DEADLINE_SECONDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.deadline: asyncio.TimerHandle | None = None
        self.cycle_before = None  # the previous request's cycle, when the deadline started

    def data_received(self, data: bytes) -> None:
        if self.deadline is None and (self.cycle is None or self.cycle.response_complete):
            self.cycle_before = self.cycle  # a new request begins with this byte
            self.deadline = self.loop.call_later(self.deadline_seconds, self.deadline_passed)
        super().data_received(data)
        arrived = self.cycle is not self.cycle_before and not self.cycle.more_body
        if self.deadline is not None and arrived:  # headers and body are in: stop the clock
            self.deadline.cancel()
            self.deadline = None

    def deadline_passed(self) -> None:
        """408 if nothing was answered yet; if the answer went out, just close."""
        self.deadline = None
        current = self.cycle if self.cycle is not self.cycle_before else None
        if current is not None and current.response_started and not current.response_complete:
            return  # the route has the request and is answering it
        if current is None or not current.response_started:
            self.transport.write(
                contract.raw_json_response(408, "Request Timeout", contract.TIMED_OUT)
            )
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        self.transport.write(contract.raw_json_response(400, "Bad Request", contract.BAD_HTTP))
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None
        super().connection_lost(exc)
