"""A scripted OpenAI-compatible chat server on loopback, for testing the `openai` provider without a network."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

LIFETIME_S = 30.0


def text_reply(content: str) -> dict[str, Any]:
    """A scripted assistant message with text content."""
    return {"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}


def tool_reply(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A scripted assistant message calling one tool."""
    call = {"id": "call_0", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
    return {"message": {"role": "assistant", "content": None, "tool_calls": [call]}, "finish_reason": "tool_calls"}


def error_reply(status: int, message: str) -> dict[str, Any]:
    """A scripted HTTP error, shaped like the ones local servers send."""
    return {"status": status, "error": {"message": message, "type": "invalid_request_error"}}


class FakeOpenAI:
    """Serves POST /v1/chat/completions from a script, records each request body, and stops itself."""

    def __init__(self, replies: list[dict[str, Any]], lifetime_s: float = LIFETIME_S) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.timer = threading.Timer(lifetime_s, self.server.shutdown)

    @property
    def base_url(self) -> str:
        """The URL to give an OpenAI client."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        """A request handler bound to this server's script."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            """Answers chat completions from the script."""

            def do_POST(self) -> None:
                """Record the request and send the next scripted reply (500 when the script is spent)."""
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append({"path": self.path, "body": body})
                reply = fake.replies.pop(0) if fake.replies else error_reply(500, "script exhausted")
                if self.path != "/v1/chat/completions":
                    reply = error_reply(404, f"no route {self.path}")
                if "status" in reply:
                    self._send(reply["status"], {"error": reply["error"]})
                    return
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-{len(fake.requests)}",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model", ""),
                        "choices": [{"index": 0, **reply}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    },
                )

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                """Write a JSON response."""
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        return Handler

    def __enter__(self) -> Self:
        """Start serving in a background thread."""
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop serving and free the port."""
        self.timer.cancel()
        self.server.shutdown()
        self.server.server_close()
