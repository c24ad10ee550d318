"""A fake of Tencent Cloud SMS (sms 2021-01-11) for the official SDK, over real HTTP.

It checks the TC3-HMAC-SHA256 signature the SDK computes (the canonical request over
content-type and host and the body's SHA-256, a key derived from the secret, the date and the
service), a fresh timestamp, the SmsSdkAppId, an approved sign name, an approved TemplateId and
exactly as many TemplateParamSet values as the template has {n} variables (each at most 35
characters, no link). SendSms answers a SendStatusSet with a Code per number: "Ok", or the
knobs' `LimitExceeded.PhoneNumberDailyLimit`, `InvalidParameterValue.IncorrectPhoneNumber`,
`FailedOperation.InsufficientBalanceInSmsPackage`. PullSmsSendStatusByPhoneNumber gives what
was sent to a number, with its SessionContext. `lose_answer_next()` sends and never answers.

Each message sent queues a status report; `push_reports()` posts the pending ones to
`report_url` as the status callback does (a JSON array: user_receive_time, nationcode, mobile,
report_status, errmsg, description, sid) and keeps those not answered {"result": 0} for the
next push, at most three more times; `fail_report(phone)` turns a phone's into a FAIL.
`reply(phone, text)` posts a reply callback (one object: extend, mobile, nationcode, sign, text,
time) to `reply_url`, again until answered {"result": 0}, as Tencent retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import count
from typing import Any

from tests.fakes import (
    Request,
    Response,
    WebhookResponse,
    bench_arguments,
    serve_for_bench,
)
from tests.fakes.callbacks import CallbackServer, Push
from tests.fakes.rate import CallsPerSecond

MAX_NUMBERS = 200
CHINA = timezone(timedelta(hours=8))
MAX_PARAM_CHARS = 35
_AUTH = re.compile(
    r"^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/sms/tc3_request, "
    r"SignedHeaders=content-type;host, Signature=(\w+)$"
)
_LINK = re.compile(r"(https?://|www\.)", re.IGNORECASE)


@dataclass
class TencentSms:
    serial_no: str
    phone: str  # E.164, as the API takes it
    sign_name: str
    template_id: str
    params: list[str]
    session_context: str
    text: str
    at: float


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


class FakeTencent(CallbackServer):
    def __init__(
        self,
        secret_id: str = "AKID-test",
        secret_key: str = "tencent-secret",
        app_id: str = "1400000001",
    ) -> None:
        super().__init__()
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.app_id = app_id
        self.signs: set[str] = set()
        self.templates: dict[str, str] = {}  # TemplateId -> text with {1}, {2} …
        self.messages: list[TencentSms] = []
        self.calls: list[str] = []
        self.refusals: list[str] = []
        self.daily_limited: set[str] = set()
        self.invalid_numbers: set[str] = set()
        self.balance_empty = False
        self.rate_per_second = 0.0
        self.reply_url = ""  # where reply callbacks go
        self._lose = 0
        self._serials = count(1)
        self._calls = CallsPerSecond()

    @staticmethod
    def accepted(answer: WebhookResponse) -> bool:
        """Tencent takes a callback as done on HTTP 200 with result 0."""
        if answer.status != 200:
            return False
        try:
            return bool(answer.json().get("result") == 0)
        except (ValueError, AttributeError):
            return False

    def register(self, sign_name: str, templates: dict[str, str]) -> None:
        with self.lock:
            self.signs.add(sign_name)
            self.templates.update(templates)

    def lose_answer_next(self, n: int = 1) -> None:
        with self.lock:
            self._lose += n

    def failure(self, request: Request, status: int) -> Response:
        return self._error("InternalError", "injected")

    @staticmethod
    def _error(code: str, message: str) -> Response:
        # Tencent answers HTTP 200 with an Error object inside Response.
        return Response.json(
            200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "r"}}
        )

    def handle(self, request: Request) -> Response | None:
        found = _AUTH.match(request.headers.get("authorization", ""))
        if not found:
            return self._error("AuthFailure.SignatureFailure", "no TC3 authorization")
        secret_id, date, signature = found.groups()
        if secret_id != self.secret_id:
            return self._error("AuthFailure.SecretIdNotFound", "unknown SecretId")
        stamp = request.headers.get("x-tc-timestamp", "0")
        if abs(time.time() - int(stamp)) > 300:
            return self._error("AuthFailure.SignatureExpire", "timestamp expired")
        if datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%d") != date:
            return self._error("AuthFailure.SignatureFailure", "date does not match")
        canonical = "\n".join(
            [
                request.method,
                request.path or "/",
                request.query,
                f"content-type:{request.headers.get('content-type', '')}\n"
                f"host:{request.headers.get('host', '')}\n",
                "content-type;host",
                hashlib.sha256(request.body).hexdigest(),
            ]
        )
        to_sign = (
            f"TC3-HMAC-SHA256\n{stamp}\n{date}/sms/tc3_request\n"
            + hashlib.sha256(canonical.encode()).hexdigest()
        )
        key = _hmac(_hmac(_hmac(("TC3" + self.secret_key).encode(), date), "sms"), "tc3_request")
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return self._error("AuthFailure.SignatureFailure", "signature does not match")
        action = request.headers.get("x-tc-action", "")
        self.calls.append(action)
        if self.rate_per_second > 0 and not self._calls.take(self.rate_per_second):
            self.refusals.append("RequestLimitExceeded")
            return self._error("RequestLimitExceeded", "request frequency limit exceeded")
        params = json.loads(request.body or b"{}")
        if params.get("SmsSdkAppId") != self.app_id:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId")
        if action == "SendSms":
            return self._send(params)
        if action == "PullSmsSendStatusByPhoneNumber":
            return self._pull(params)
        return self._error("InvalidAction", action)

    def _send(self, params: dict[str, Any]) -> Response | None:
        phones = params.get("PhoneNumberSet") or []
        if not phones or len(phones) > MAX_NUMBERS:
            return self._error("LimitExceeded.PhoneNumberCountLimit", "too many numbers")
        if params.get("SignName") not in self.signs:
            return self._error("FailedOperation.SignatureIncorrectOrUnapproved", "sign")
        template = self.templates.get(str(params.get("TemplateId")))
        if template is None:
            return self._error("FailedOperation.TemplateIncorrectOrUnapproved", "template")
        values = params.get("TemplateParamSet") or []
        if len(values) != len(set(re.findall(r"\{(\d+)\}", template))):
            return self._error("FailedOperation.TemplateParamSetNotMatchApprovedTemplate", "n")
        for value in values:
            if len(value) > MAX_PARAM_CHARS:
                return self._error(
                    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate", "long"
                )
            if _LINK.search(value):
                return self._error("FailedOperation.ContainSensitiveWord", "link")
        text = f"【{params['SignName']}】" + re.sub(
            r"\{(\d+)\}", lambda m: values[int(m.group(1)) - 1], template
        )
        statuses = []
        for phone in phones:
            code = "Ok"
            if self.balance_empty:
                code = "FailedOperation.InsufficientBalanceInSmsPackage"
            elif phone in self.invalid_numbers or not re.fullmatch(r"\+861\d{10}", phone):
                code = "InvalidParameterValue.IncorrectPhoneNumber"
            elif phone in self.daily_limited:
                code = "LimitExceeded.PhoneNumberDailyLimit"
            serial = f"2645:{next(self._serials):020d}" if code == "Ok" else ""
            if code == "Ok":
                self.messages.append(
                    TencentSms(serial, phone, params["SignName"], str(params["TemplateId"]),
                               list(values), params.get("SessionContext", ""), text, time.time())
                )  # fmt: skip
                self._reports.append(Push(_report(serial, phone)))
            else:
                self.refusals.append(code)
            statuses.append(
                {"SerialNo": serial, "PhoneNumber": phone, "Fee": 1 if code == "Ok" else 0,
                 "SessionContext": params.get("SessionContext", ""), "Code": code,
                 "Message": "send success" if code == "Ok" else code, "IsoCode": "CN"}
            )  # fmt: skip
        if self._lose:
            self._lose -= 1
            return None
        return Response.json(200, {"Response": {"SendStatusSet": statuses, "RequestId": "r"}})

    def _pull(self, params: dict[str, Any]) -> Response:
        phone = params.get("PhoneNumber", "")
        begin = int(params.get("BeginTime", 0))
        found = [m for m in self.messages if m.phone == phone and m.at >= begin]
        return Response.json(
            200,
            {
                "Response": {
                    "PullSmsSendStatusSet": [
                        {
                            "UserReceiveTime": "",
                            "CountryCode": "86",
                            "SubscriberNumber": phone[3:],
                            "PhoneNumber": phone,
                            "SerialNo": m.serial_no,
                            "ReportStatus": "SUCCESS",
                            "Description": "DELIVRD",
                            "SessionContext": m.session_context,
                        }
                        for m in found
                    ],
                    "RequestId": "r",
                }
            },
        )

    # -- callbacks ---------------------------------------------------------------------------

    def fail_report(self, phone: str, errmsg: str = "MK:0001", description: str = "空号") -> None:
        """Turn the pending reports for this phone (E.164) into failures."""
        with self.lock:
            for push in self._reports:
                if "+" + push.payload["nationcode"] + push.payload["mobile"] == phone:
                    push.payload.update(
                        report_status="FAIL", errmsg=errmsg, description=description
                    )

    def reply(
        self, phone: str, text: str, client: Any = None, sign: str = "", at: int | None = None
    ) -> WebhookResponse:
        """Post a reply callback: the phone (E.164, +86…) sent `text` back."""
        item = {
            "extend": "",
            "mobile": phone.removeprefix("+86"),
            "nationcode": "86",
            "sign": sign or next(iter(sorted(self.signs)), ""),
            "text": text,
            "time": at if at is not None else int(time.time()),
        }
        return self._post_until_accepted(self.reply_url, item, client)


def _report(serial: str, phone: str) -> dict[str, Any]:
    return {
        "user_receive_time": datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
        "nationcode": "86",
        "mobile": phone.removeprefix("+86"),
        "report_status": "SUCCESS",
        "errmsg": "DELIVRD",
        "description": "用户短信送达成功",
        "sid": serial,
    }


def main(argv: list[str] | None = None) -> int:
    """Serve a FakeTencent in this process until SIGTERM/SIGINT; then write what it received.

    For benchmarks (the fake's CPU is not the app's). It approves the sign name 邻里 and the
    template 1000001 = "{1}", prints one JSON line (base_url, secret_id, secret_key, app_id)
    once listening, and with --report writes on stopping {"messages": [[phone, received_at
    epoch seconds], ...], "rejections": {code: n}, "requests": n, "calls": n}; a call refused
    for pace (RequestLimitExceeded) counts as "429", as Twilio's do.
    """
    args = bench_arguments("python -m tests.fakes.tencent", argv)
    fake = FakeTencent().start()
    fake.register("邻里", {"1000001": "{1}"})
    with fake.lock:
        fake.latency_seconds = args.latency
        fake.rate_per_second = args.rate

    def report() -> dict[str, Any]:
        rejections: dict[str, int] = {}
        for code in fake.refusals:
            key = "429" if code == "RequestLimitExceeded" else code
            rejections[key] = rejections.get(key, 0) + 1
        return {
            "messages": [[m.phone, m.at] for m in fake.messages],
            "rejections": rejections,
            "requests": fake.requests_seen,
            "calls": sum(1 for action in fake.calls if action == "SendSms"),
        }

    info = {
        "base_url": fake.base_url,
        "secret_id": fake.secret_id,
        "secret_key": fake.secret_key,
        "app_id": fake.app_id,
    }
    return serve_for_bench(fake, info, args.report, report)


if __name__ == "__main__":
    raise SystemExit(main())
