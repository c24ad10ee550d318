"""What a template SMS provider (Alibaba, Tencent) posts back to the app, as JSON over HTTP.

Status reports wait in a list until `push_reports()` posts them all as one callback; those the
app does not accept stay for the next push, at most PUSH_RETRIES more times. A reply (an SMS
up) is posted until the app accepts it, at most PUSH_RETRIES + 1 times, as the providers
retry. What "accepted" means is each provider's own (`accepted`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.fakes import FakeServer, WebhookResponse, post_to_app

PUSH_RETRIES = 3


@dataclass
class Push:
    payload: dict[str, Any]
    tries: int = 0


class CallbackServer(FakeServer):
    """A FakeServer that keeps status reports and posts them, and replies, to the app."""

    def __init__(self) -> None:
        super().__init__()
        self.report_url = ""  # where status reports go
        self.pushes: list[WebhookResponse] = []  # every answer the app gave a callback
        self._reports: list[Push] = []

    @staticmethod
    def accepted(answer: WebhookResponse) -> bool:
        """Whether the provider takes this answer of the app's as done."""
        raise NotImplementedError

    def pending_reports(self) -> int:
        with self.lock:
            return len(self._reports)

    def push_reports(self, client: Any = None) -> WebhookResponse | None:
        """Post the pending reports as one callback; keep them unless the app accepts it."""
        with self.lock:
            batch = list(self._reports)
        if not batch:
            return None
        answer = self._post(self.report_url, [p.payload for p in batch], client)
        with self.lock:
            done = self.accepted(answer)
            for push in batch:
                push.tries += 1
                if done or push.tries > PUSH_RETRIES:
                    self._reports.remove(push)
        return answer

    def _post_until_accepted(self, url: str, payload: Any, client: Any) -> WebhookResponse:
        for _try in range(PUSH_RETRIES + 1):
            answer = self._post(url, payload, client)
            if self.accepted(answer):
                break
        return answer

    def _post(self, url: str, payload: Any, client: Any) -> WebhookResponse:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        answer = post_to_app(url, body, {"Content-Type": "application/json"}, client=client)
        with self.lock:
            self.pushes.append(answer)
        return answer
