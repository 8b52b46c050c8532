"""Conditional reads: an `ETag` on every JSON answer to a GET of the API, and a bodiless 304 to a client whose
`If-None-Match` names the representation it already holds, so that a console polling a view receives only what
changed. A route that can tell a change from a cheap marker (the inbox) tags its answers itself and answers 304
before computing anything; every other read is tagged with the SHA-256 of its body."""

import hashlib

from fastapi import Request, Response, status
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHE_CONTROL = "private, no-cache"  # a browser keeps the answer but asks again each time, naming its ETag


def etag(*parts: object) -> str:
    """A strong entity tag of the parts (a change marker and the query that selected the representation)."""
    return '"' + hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:32] + '"'


def _named(if_none_match: str, tag: str) -> bool:
    """Whether an `If-None-Match` value names the tag (or `*`); weak comparison, as RFC 9110 asks for GET."""
    candidates = {candidate.strip().removeprefix("W/") for candidate in if_none_match.split(",")}
    return tag in candidates or "*" in candidates


def revalidated(tag: str) -> dict[str, str]:
    """The headers of an answer carrying this tag."""
    return {"ETag": tag, "Cache-Control": CACHE_CONTROL}


def not_modified(request: Request, tag: str) -> Response | None:
    """A bodiless 304 when the request's `If-None-Match` names the tag, else None."""
    if _named(request.headers.get("if-none-match", ""), tag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=revalidated(tag))
    return None


class ConditionalGet:
    """ASGI middleware tagging each 200 JSON answer to a GET under `/v1/` that carries no `ETag` yet with the hash
    of its body, and answering 304 without the body when the request's `If-None-Match` names it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass other requests through; buffer a tagged read's body to hash it."""
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        asked = Headers(scope=scope).get("if-none-match", "")
        start: Message | None = None
        chunks: list[bytes] = []

        async def sending(message: Message) -> None:
            """Hold a taggable answer's start and body until the body is complete."""
            nonlocal start
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                taggable = (
                    message["status"] == 200
                    and "etag" not in headers
                    and headers.get("content-type", "").startswith("application/json")
                )
                if taggable:
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                await self._answer(start, b"".join(chunks), asked, send)
                return
            await send(message)

        await self.app(scope, receive, sending)

    @staticmethod
    async def _answer(start: Message, body: bytes, asked: str, send: Send) -> None:
        """Send the answer tagged with its body's hash, or a bodiless 304 when the client holds it already."""
        tag = etag(hashlib.sha256(body).hexdigest())
        headers = MutableHeaders(raw=start["headers"])
        headers.update(revalidated(tag))
        if _named(asked, tag):
            del headers["content-length"]
            del headers["content-type"]
            start = {**start, "status": status.HTTP_304_NOT_MODIFIED, "headers": headers.raw}
            body = b""
        await send({**start, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body, "more_body": False})
