"""A real HTTP server speaking the OpenAI chat-completions API with scripted replies, for CLI tests.

It stands in for the LLM only; everything else in those tests (CLI, browser, site) is real."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import Flask, jsonify, request
from werkzeug.serving import make_server


class FakeOpenAI:
    def __init__(self, replies: list[str | Callable[[str], str]] | None = None, status: int = 200,
                 api_key: str | None = None, reject_images: bool = False, image_tokens: int = 0) -> None:
        """`reject_images`: answer 400 to a request with image parts, as a text-only model's server does;
        `image_tokens`: report this many tokens per image part in `usage.prompt_tokens_details.image_tokens`."""
        self.replies = list(replies or [])
        self.reject_images = reject_images
        self.image_tokens = image_tokens
        self.status = status
        self.api_key = api_key
        self.requests: list[dict] = []
        app = Flask(__name__)

        @app.post("/v1/chat/completions")
        def complete():
            body = request.get_json()
            self.requests.append(body)
            if self.api_key and request.headers.get("Authorization") != f"Bearer {self.api_key}":
                return jsonify({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                          "code": "invalid_api_key"}}), 401
            if self.status != 200:
                return jsonify({"error": {"message": "scripted failure"}}), self.status
            content = body["messages"][-1]["content"]
            images = [p for m in body["messages"] if isinstance(m["content"], list) for p in m["content"]
                      if p.get("type") == "image_url"]
            if self.reject_images and images:
                return jsonify({"error": {"message": "Invalid content type. image_url is only supported by "
                                                     "multimodal models.", "type": "invalid_request_error"}}), 400
            prompt = content if isinstance(content, str) else "\n".join(
                p["text"] for p in content if p.get("type") == "text")
            reply = self.replies.pop(0) if self.replies else "stop [out of script]"
            text = reply(prompt) if callable(reply) else reply
            return jsonify({
                "id": "x", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": len(prompt) // 4 + self.image_tokens * len(images),
                          "completion_tokens": 5,
                          "total_tokens": len(prompt) // 4 + self.image_tokens * len(images) + 5,
                          "prompt_tokens_details": {"image_tokens": self.image_tokens * len(images)}},
            })

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
