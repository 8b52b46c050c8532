"""Input checks before any work: body size, NUL bytes, finite numbers and 64-bit integers, and a 422 that
always serialises and echoes at most a short excerpt of the input."""

import contextlib
import json
import math
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EXCERPT_CHARS = 80
INT64 = 2**63 - 1


class BodyTooLarge(Exception):
    """The request body grew past the limit while it was read."""


class BodyLimit:
    """ASGI middleware answering 413 to a body above `max_bytes`, from its Content-Length or while it streams,
    before authentication and without buffering the rest."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0
        exceeded = answered = False

        async def counted() -> Message:
            """The next body chunk; once the running total passes the limit, the request is cut off."""
            nonlocal received, exceeded
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                exceeded = True
                raise BodyTooLarge
            return message

        async def sending(message: Message) -> None:
            """Pass the app's response on, or the 413 in its place when the body was cut off."""
            nonlocal answered
            if not exceeded:
                await send(message)
            elif message["type"] == "http.response.start" and not answered:
                answered = True
                await self._refuse(send)

        try:
            await self.app(scope, counted, sending)
        except BodyTooLarge:
            if not answered:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        """Send the 413 answer."""
        await JSONResponse(
            status_code=413,
            content={"detail": f"request body larger than {self.max_bytes} bytes (or without a valid Content-Length)"},
        )({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    """A receive callable for a response that reads nothing."""
    return {"type": "http.disconnect"}


def _problems(value: Any, loc: tuple) -> Iterator[dict]:
    """Errors for NUL bytes, non-finite numbers and integers beyond 64 bits anywhere inside a JSON value."""
    if isinstance(value, str) and "\x00" in value:
        yield {"type": "string_nul", "loc": loc, "msg": "NUL bytes are not allowed in text", "input": value}
    elif isinstance(value, bool):
        return
    elif isinstance(value, float) and not math.isfinite(value):
        yield {"type": "finite_number", "loc": loc, "msg": "must be a finite number", "input": value}
    elif isinstance(value, int) and abs(value) > INT64:
        yield {"type": "int_range", "loc": loc, "msg": f"must be between -{INT64} and {INT64}", "input": value}
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _problems(key, (*loc, key))
            yield from _problems(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _problems(item, (*loc, index))


async def check_input(request: Request) -> None:
    """Refuse (422, naming the field) NUL bytes in the path, query or JSON body, non-finite numbers and
    integers beyond 64 bits, before authentication and any other work."""
    errors = [*_problems(request.path_params, ("path",)), *_problems(dict(request.query_params), ("query",))]
    body = await request.body()
    if body and "json" in request.headers.get("content-type", ""):
        with contextlib.suppress(ValueError):  # FastAPI's own parsing reports the malformed body
            errors += _problems(json.loads(body), ("body",))
    if errors:
        raise RequestValidationError(errors)


def excerpt(value: Any) -> Any:
    """A JSON-safe short form of an input: scalars as they are (non-finite numbers as text), long or nested
    values as the start of their text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or (isinstance(value, bool | int | float) and abs(value) <= INT64):
        return value
    text = value if isinstance(value, str) else json.dumps(jsonable_encoder(value), default=str)[: EXCERPT_CHARS + 1]
    text = text.replace("\x00", "\\u0000")
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 shape, each error echoing at most a short excerpt of its input and no internals."""
    detail = []
    for item in error.errors():
        shown = {"type": item.get("type"), "loc": list(item.get("loc", ())), "msg": str(item.get("msg"))}
        if "input" in item:
            shown["input"] = excerpt(item["input"])
        detail.append(shown)
    return JSONResponse(status_code=422, content=jsonable_encoder({"detail": detail}))
