"""A fake of Twilio's Programmable Messaging REST API (2010-04-01) and of its webhooks.

It speaks the real wire format, so the official `twilio` SDK works against it unchanged
(`client.api.base_url = fake.base_url`). Behaviour follows Twilio's OpenAPI description
(tests/fakes/specs/twilio-api-v2010.json) and its error dictionary; tests/test_fakes.py checks it.
"""

from __future__ import annotations

import base64
import functools
import hmac
import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

import phonenumbers
from twilio.request_validator import RequestValidator

from tests.fakes import (
    AppClient,
    FakeServer,
    Request,
    Response,
    WebhookResponse,
    post_to_app,
    wait_for_items,
)

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
DEFAULT_AUTH_TOKEN = "fake-twilio-auth-token"

# The properties of CreateMessageRequest in the spec; the contract test keeps them equal.
CREATE_MESSAGE_FIELDS = frozenset(
    {
        "To",
        "StatusCallback",
        "ApplicationSid",
        "MaxPrice",
        "ProvideFeedback",
        "Attempt",
        "ValidityPeriod",
        "ForceDelivery",
        "ContentRetention",
        "AddressRetention",
        "SmartEncoded",
        "PersistentAction",
        "TrafficType",
        "ShortenUrls",
        "ScheduleType",
        "SendAt",
        "SendAsMms",
        "ContentVariables",
        "RiskCheck",
        "From",
        "FallbackFrom",
        "MessagingServiceSid",
        "Body",
        "MediaUrl",
        "ContentSid",
    }
)

# GSM 03.38: the basic table costs one septet a character, the extension table two (escape).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
_GSM7_COST = {c: 1 for c in GSM7_BASIC} | {c: 2 for c in GSM7_EXTENDED}

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
_MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_MESSAGES = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages(?:/(?P<sid>[^/]+))?\.json$"
)


def count_segments(body: str) -> int:
    """Count the SMS parts a body needs, as the network splits it (GSM-7 160/153, UCS-2 70/67).

    A multi-part message loses room to its concatenation header, and a character is never
    split across parts: neither a GSM escape pair nor a UTF-16 surrogate pair.
    """
    if all(c in _GSM7_COST for c in body):
        costs, single, part = [_GSM7_COST[c] for c in body], 160, 153
    else:
        costs, single, part = [2 if ord(c) > 0xFFFF else 1 for c in body], 70, 67
    if sum(costs) <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:
            segments, used = segments + 1, 0
        used += cost
    return segments


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment)  # "Thu, 24 Aug 2023 05:01:45 +0000", as Twilio writes it


@functools.lru_cache(maxsize=4096)  # parsing costs ~0.15 ms, most of a request's time
def _is_phone_number(value: str) -> bool:
    if not _E164.match(value):
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(value))
    except phonenumbers.NumberParseException:
        return False


def _region(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""


def twilio_error(status: int, code: int, message: str, **headers: str) -> Response:
    """Answer in Twilio's REST error shape, which the SDK turns into TwilioRestException."""
    return Response.json(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        **headers,
    )


class FakeTwilio(FakeServer):
    """Twilio's Messages resource on 127.0.0.1, with knobs for the failures real traffic sees."""

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        *,
        api_keys: dict[str, str] | None = None,
        strict_params: bool = True,
    ) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_keys = dict(api_keys or {})  # API key SID (SK...) -> secret
        # Twilio only warns (20001) about unknown parameters; refusing them makes a typo such
        # as "StatusCallBack" fail a test instead of silently losing callbacks.
        self.strict_params = strict_params
        self.rate_limit_per_second: float | None = None
        self.rate_limit_burst: float | None = None  # None: a tenth of a second's worth
        self.opted_out: set[str] = set()
        self.invalid_numbers: set[str] = set()
        # Statuses to post to StatusCallback after each accepted message, e.g. ["sent",
        # "delivered"]; ["delivered", "sent"] or ["sent", "sent", "delivered"] for tests of
        # out-of-order and repeated callbacks.
        self.auto_status: list[str] = []
        self.auto_status_delay = 0.05
        self.auto_status_error_code: int | None = None  # sent with failed/undelivered
        self.service_sender = "+15005550006"  # the number a Messaging Service "picks"
        self.app_client: AppClient | None = None  # post webhooks via a Flask test client
        self.messages: list[dict[str, Any]] = []
        self.rejections: list[dict[str, Any]] = []
        self.callbacks: list[dict[str, Any]] = []
        self.inbound: list[dict[str, str]] = []
        self._resources: dict[str, dict[str, Any]] = {}
        self._bucket: tuple[float, float, float] | None = None  # (rate, tokens, at)
        self._executor: ThreadPoolExecutor | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Start the server and the pool that posts callbacks without blocking requests."""
        self._executor = ThreadPoolExecutor(4, thread_name_prefix="FakeTwilio-callback")
        return super().start()

    def stop(self) -> None:
        """Stop serving, then wait for callbacks in flight."""
        super().stop()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    # -- what tests read ---------------------------------------------------------------------

    @property
    def rejected(self) -> int:
        """Count the create requests answered with an error."""
        with self.lock:
            return len(self.rejections)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until `count` messages were accepted; return them."""
        return wait_for_items(self, lambda: self.messages, count, timeout, "accepted messages")

    def wait_for_callbacks(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until `count` status callbacks were posted; return them."""
        return wait_for_items(self, lambda: self.callbacks, count, timeout, "status callbacks")

    # -- HTTP --------------------------------------------------------------------------------

    def failure(self, request: Request, status: int) -> Response:
        """Answer an injected failure as Twilio words it."""
        codes = {
            429: (20429, "Too Many Requests"),
            500: (20500, "Internal Server Error"),
            503: (20503, "Service Unavailable"),
        }
        code, message = codes.get(status, (status, "Injected failure"))
        return self._reject(twilio_error(status, code, message), {}, injected=True)

    def handle(self, request: Request) -> Response:
        """Route a request to the Messages resource."""
        match = _MESSAGES.match(request.path)
        if match is None:
            return twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        if not self._authenticated(request):
            return twilio_error(
                401, 20003, "Authenticate", **{"WWW-Authenticate": 'Basic realm="Twilio API"'}
            )
        if match["account"] != self.account_sid:
            return twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        if request.method == "POST" and match["sid"] is None:
            return self._create(request.form())
        if request.method == "GET" and match["sid"] is not None:
            resource = self._resources.get(match["sid"])
            if resource is None:
                msg = f"The requested resource {request.path} was not found"
                return twilio_error(404, 20404, msg)
            return Response.json(200, resource)
        return twilio_error(405, 20004, "Method not allowed")

    def _authenticated(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, secret = base64.b64decode(encoded).decode("utf-8").partition(":")
        except ValueError:
            return False
        expected = self.auth_token if user == self.account_sid else self.api_keys.get(user)
        return expected is not None and hmac.compare_digest(secret, expected)

    def _rate_limited(self) -> bool:
        rate = self.rate_limit_per_second
        if not rate:
            self._bucket = None
            return False
        burst = self.rate_limit_burst or max(1.0, rate / 10)
        now = time.monotonic()
        if self._bucket is None or self._bucket[0] != rate:
            self._bucket = (rate, burst, now)  # a new limit starts with a full bucket
        tokens = min(burst, self._bucket[1] + (now - self._bucket[2]) * rate)
        if tokens < 1:
            self._bucket = (rate, tokens, now)
            return True
        self._bucket = (rate, tokens - 1, now)
        return False

    def _reject(
        self, response: Response, params: dict[str, str], *, injected: bool = False
    ) -> Response:
        body = json.loads(response.body)
        self.rejections.append(
            {
                "status": response.status,
                "code": body["code"],
                "message": body["message"],
                "params": params,
                "injected": injected,
            }
        )
        return response

    def _create(self, params: dict[str, str]) -> Response:
        if self._rate_limited():
            return self._reject(twilio_error(429, 20429, "Too Many Requests"), params)
        error = self._invalid(params)
        if error is not None:
            return self._reject(error, params)
        now = datetime.now(UTC)
        sid = "SM" + uuid.uuid4().hex
        service = params.get("MessagingServiceSid") or None
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        resource: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": params.get("Body", ""),
            "date_created": (created := _rfc2822(now)),
            "date_sent": None,
            "date_updated": created,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": params.get("From") or None,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(count_segments(params.get("Body", ""))),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # A Messaging Service first "accepts" and picks a sender; a plain From is queued.
            "status": "accepted" if service else "queued",
            "subresource_uris": {
                "media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json",
                "feedback": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/"
                "Feedback.json",
            },
            "to": params["To"],
            "uri": uri,
        }
        self._resources[sid] = resource
        validity = params.get("ValidityPeriod")
        self.messages.append(
            {
                "sid": sid,
                "to": params["To"],
                "from": params.get("From") or None,
                "messaging_service_sid": service,
                "body": params.get("Body", ""),
                "num_segments": int(resource["num_segments"]),
                "validity_period": int(validity) if validity else None,
                "status_callback": params.get("StatusCallback") or None,
                "status": resource["status"],
                "received_at": now,
                "params": params,
            }
        )
        if self.auto_status and params.get("StatusCallback"):
            self._schedule_statuses(sid, list(self.auto_status))
        return Response.json(201, resource)

    def _invalid(self, params: dict[str, str]) -> Response | None:
        unknown = sorted(set(params) - CREATE_MESSAGE_FIELDS)
        if unknown and self.strict_params:
            return twilio_error(400, 20001, f"Unknown parameters: {', '.join(unknown)}")
        to, sender = params.get("To", ""), params.get("From", "")
        service, body = params.get("MessagingServiceSid", ""), params.get("Body", "")
        if not to:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if not sender and not service:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if service and not _MESSAGING_SERVICE_SID.match(service):
            return twilio_error(400, 21701, f"The Messaging Service Sid {service} is invalid.")
        if not body and not params.get("MediaUrl") and not params.get("ContentSid"):
            return twilio_error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return twilio_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if not _is_phone_number(to) or to in self.invalid_numbers:
            return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if sender and not (_is_phone_number(sender) or _ALPHANUMERIC_SENDER.match(sender)):
            return twilio_error(
                400,
                21212,
                f"The 'From' number {sender} is not a valid phone number, "
                "shortcode, or alphanumeric sender ID.",
            )
        validity = params.get("ValidityPeriod")
        if validity is not None and not (validity.isdigit() and 1 <= int(validity) <= 36000):
            return twilio_error(400, 21624, "Invalid validity period value")
        callback = params.get("StatusCallback")
        if callback and (
            urlsplit(callback).scheme not in ("http", "https") or not urlsplit(callback).hostname
        ):
            return twilio_error(400, 21609, "Invalid StatusCallback url")
        if to in self.opted_out:
            return twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")
        return None

    # -- webhooks to the app -----------------------------------------------------------------

    def _schedule_statuses(self, sid: str, statuses: list[str]) -> None:
        """Post the statuses later from the pool; runs on the server thread."""
        executor, loop = self._executor, self._loop
        if executor is None or loop is None:
            return

        def deliver() -> None:
            for status in statuses:
                code = self.auto_status_error_code if status in ("failed", "undelivered") else None
                self.send_status(sid, status, error_code=code)

        def submit() -> None:
            # The pool refuses new work once the fake is stopping: nothing left to deliver to.
            if self._executor is not None:
                self._executor.submit(deliver)

        loop.call_later(self.auto_status_delay, submit)

    def send_status(
        self,
        sid: str,
        status: str,
        error_code: int | None = None,
        to_url: str | None = None,
        auth_token: str | None = None,
    ) -> WebhookResponse:
        """POST a status callback for a message, signed as Twilio signs it, and record it."""
        with self.lock:
            resource = self._resources[sid]
            message = next(m for m in self.messages if m["sid"] == sid)
            url = to_url or message["status_callback"]
            if not url:
                raise ValueError(f"message {sid} has no StatusCallback; pass to_url")
            now = _rfc2822(datetime.now(UTC))
            resource.update(status=status, date_updated=now, error_code=error_code)
            message["status"] = status
            if status in ("sent", "delivered") and resource["date_sent"] is None:
                resource["date_sent"] = now
            params = {
                "AccountSid": self.account_sid,
                "ApiVersion": API_VERSION,
                "From": resource["from"] or self.service_sender,
                "MessageSid": sid,
                "MessageStatus": status,
                "SmsSid": sid,
                "SmsStatus": status,
                "To": resource["to"],
            }
            if resource["messaging_service_sid"]:
                params["MessagingServiceSid"] = resource["messaging_service_sid"]
            if error_code is not None:
                params["ErrorCode"] = str(error_code)
        # Connection overrides ride in the fragment, which a request never carries: Twilio
        # calls (and signs) the URL without it, and retries as rc/rp say.
        target, _, fragment = url.partition("#")
        overrides = dict(parse_qsl(fragment))
        retries = min(int(overrides.get("rc", "0") or 0), 5)
        policy = set(overrides.get("rp", "").split(","))
        for attempt in range(retries + 1):
            response = self._post_signed(target, params, auth_token or self.auth_token)
            with self.changed:
                self.callbacks.append(
                    {
                        "url": target,
                        "params": params,
                        "status": response.status,
                        "response": response,
                        "attempt": attempt,
                    }
                )
                self.changed.notify_all()
            status_class = f"{(response.status or 0) // 100}xx"
            if attempt == retries or not (policy & {status_class, "all"}):
                break
        return response

    def send_inbound_sms(
        self,
        app_url: str,
        from_: str,
        to: str,
        body: str,
        auth_token: str | None = None,
        account_sid: str | None = None,
        *,
        messaging_service_sid: str | None = None,
        client: AppClient | None = None,
    ) -> WebhookResponse:
        """POST what Twilio posts to a messaging webhook for an incoming SMS; return the reply."""
        sid = "SM" + uuid.uuid4().hex
        params = {
            "ToCountry": _region(to),
            "ToState": "",
            "ToCity": "",
            "ToZip": "",
            "FromCountry": _region(from_),
            "FromState": "",
            "FromCity": "",
            "FromZip": "",
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "MessageSid": sid,
            "SmsStatus": "received",
            "NumMedia": "0",
            "NumSegments": str(count_segments(body)),
            "Body": body,
            "To": to,
            "From": from_,
            "AccountSid": account_sid or self.account_sid,
            "ApiVersion": API_VERSION,
        }
        if messaging_service_sid:
            params["MessagingServiceSid"] = messaging_service_sid
        with self.lock:
            self.inbound.append(params)
        return self._post_signed(app_url, params, auth_token or self.auth_token, client)

    def _post_signed(
        self, url: str, params: dict[str, str], auth_token: str, client: AppClient | None = None
    ) -> WebhookResponse:
        signature = RequestValidator(auth_token).compute_signature(url, params)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": "TwilioProxy/1.1",
        }
        return post_to_app(
            url, urlencode(params).encode("utf-8"), headers, client=client or self.app_client
        )


def main(argv: list[str] | None = None) -> int:
    """Serve a FakeTwilio in this process until SIGTERM/SIGINT; then write what it received.

    For benchmarks, which run the fake apart from the app so its CPU is not the app's. It
    prints one JSON line (base_url, account_sid, auth_token) once listening; with --report,
    on stopping it writes {"messages": [[to, received_at epoch seconds], ...], "rejections":
    {status: count}, "requests": n} to that file.
    """
    import argparse
    import gc
    import signal
    import sys
    import threading

    parser = argparse.ArgumentParser(prog="python -m tests.fakes.twilio")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before answering")
    parser.add_argument("--rate", type=float, default=0.0, help="messages/s allowed (0: any)")
    parser.add_argument("--burst", type=float, default=None, help="bucket size (rate/10)")
    parser.add_argument("--report", help="write what was received here on stopping")
    args = parser.parse_args(argv)

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    # It keeps every message it accepts: collect less often, as a long-lived server would.
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    fake = FakeTwilio().start()
    with fake.lock:
        fake.latency_seconds = args.latency
        fake.rate_limit_per_second = args.rate or None
        fake.rate_limit_burst = args.burst
    print(
        json.dumps(
            {
                "base_url": fake.base_url,
                "account_sid": fake.account_sid,
                "auth_token": fake.auth_token,
            }
        ),
        flush=True,
    )
    while not stopping.wait(0.5):
        pass
    fake.stop()
    if args.report:
        rejections: dict[str, int] = {}
        for r in fake.rejections:
            rejections[str(r["status"])] = rejections.get(str(r["status"]), 0) + 1
        report = {
            "messages": [[m["to"], m["received_at"].timestamp()] for m in fake.messages],
            "rejections": rejections,
            "requests": fake.requests_seen,
        }
        with open(args.report, "w", encoding="utf-8") as out:
            json.dump(report, out)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
