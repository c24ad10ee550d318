"""A fake of Alibaba Cloud SMS (dysmsapi 2017-05-25) for the official SDK, over real HTTP.

It checks what the real service checks before it accepts a message: the ACS3-HMAC-SHA256
signature the SDK computes (canonical request over the signed headers, the sorted query and
the body's SHA-256), a fresh timestamp and an unused nonce, an approved sign name, an approved
template code and exactly its ${name} parameters, each at most 35 characters and without a
link. It answers SendSms (one text, up to 1,000 numbers), SendBatchSms (a text each, up to
100) and QuerySendDetails, with the error codes the real one uses, by knobs:

- `flow_limited[phone] = "触发分钟级流控Permits:1"`: isv.BUSINESS_LIMIT_CONTROL for that phone
- `invalid_numbers`: isv.MOBILE_NUMBER_ILLEGAL; `balance_empty`: isv.AMOUNT_NOT_ENOUGH
- `rate_per_second`: more calls than this in a second are refused Throttling.User
- `lose_answer_next(n)`: accept the next n sends and never answer (the client times out)

Accepted messages queue a status report; `push_reports()` posts them to the report URL as the
SmsReport push does (a JSON array) and keeps those not answered {"code": 0} for the next
push, at most three retries as the documentation says. `reply(phone, text)` posts an SmsUp.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import count
from typing import Any
from urllib.parse import parse_qsl, quote

from tests.fakes import (
    Request,
    Response,
    WebhookResponse,
    bench_arguments,
    serve_for_bench,
)
from tests.fakes.callbacks import CallbackServer, Push
from tests.fakes.rate import CallsPerSecond

CHINA = timezone(timedelta(hours=8))
MAX_SEND_NUMBERS = 1000
MAX_BATCH_NUMBERS = 100
MAX_PARAM_CHARS = 35
_VARIABLE = re.compile(r"\$\{(\w+)\}")
_LINK = re.compile(r"(https?://|www\.|\w+\.(com|cn|net|org)\b)", re.IGNORECASE)
_AUTH = re.compile(r"^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=(\w+)$")


@dataclass
class SentSms:
    biz_id: str
    phone: str  # as the API took it: 11 digits for the mainland
    sign_name: str
    template_code: str
    params: dict[str, str]
    out_id: str
    text: str  # what the phone shows: 【sign】 and the template filled in
    at: datetime
    action: str


class FakeAlibaba(CallbackServer):
    def __init__(
        self, access_key_id: str = "LTAI-test-key", access_key_secret: str = "test-secret"
    ) -> None:
        super().__init__()
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.signs: set[str] = set()
        self.templates: dict[str, str] = {}  # code -> text with ${name} variables
        self.up_url = ""  # where SmsUp pushes go
        self.messages: list[SentSms] = []
        self.refusals: list[tuple[str, str]] = []  # (code, message) of every refused call
        self.calls: list[str] = []  # the action of every signed call
        self.flow_limited: dict[str, str] = {}
        self.invalid_numbers: set[str] = set()
        self.balance_empty = False
        self.rate_per_second = 0.0
        self._lose = 0
        self._nonces: set[str] = set()
        self._calls = CallsPerSecond()
        self._ids = count(900000000000000001)
        self._ups = count(1)

    @staticmethod
    def accepted(answer: WebhookResponse) -> bool:
        """The service takes a push as done on HTTP 200 with a numeric code (it checks no more)."""
        if answer.status != 200:
            return False
        try:
            return bool(answer.json().get("code") == 0)
        except (ValueError, AttributeError):
            return False

    # -- knobs -------------------------------------------------------------------------------

    def register(self, sign_name: str, templates: dict[str, str]) -> None:
        """Approve a sign name and templates (code -> text with ${name} variables)."""
        with self.lock:
            self.signs.add(sign_name)
            self.templates.update(templates)

    def lose_answer_next(self, n: int = 1) -> None:
        with self.lock:
            self._lose += n

    def sent_to(self, phone: str) -> list[SentSms]:
        with self.lock:
            return [m for m in self.messages if m.phone == phone]

    # -- HTTP ---------------------------------------------------------------------------------

    def failure(self, request: Request, status: int) -> Response:
        return Response.json(
            status, {"Code": "ServiceUnavailable", "Message": "injected", "RequestId": "x"}
        )

    def handle(self, request: Request) -> Response:
        refused = self._check_signature(request)
        if refused is not None:
            return refused
        action = request.headers.get("x-acs-action", "")
        self.calls.append(action)
        if self.rate_per_second > 0 and not self._calls.take(self.rate_per_second):
            return self._error(
                400, "Throttling.User", "Request was denied due to user flow control."
            )
        params = dict(parse_qsl(request.query, keep_blank_values=True))
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        if action == "SendSms":
            return self._send(params, batch=False)
        if action == "SendBatchSms":
            return self._send(params, batch=True)
        if action == "QuerySendDetails":
            return self._query(params)
        return self._error(404, "InvalidAction.NotFound", f"Specified api is not found: {action}")

    def _error(self, status: int, code: str, message: str) -> Response:
        self.refusals.append((code, message))
        return Response.json(status, {"Code": code, "Message": message, "RequestId": "r"})

    def _refuse(self, code: str, message: str) -> Response:
        # Business refusals come as HTTP 200 with a Code other than OK, as the real one does.
        self.refusals.append((code, message))
        return Response.json(200, {"Code": code, "Message": message, "RequestId": "r"})

    def _check_signature(self, request: Request) -> Response | None:
        found = _AUTH.match(request.headers.get("authorization", ""))
        if not found:
            return self._error(400, "MissingAuthorization", "Authorization is mandatory.")
        key_id, signed_headers, signature = found.groups()
        if key_id != self.access_key_id:
            return self._error(
                404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
            )
        payload = hashlib.sha256(request.body).hexdigest()
        if request.headers.get("x-acs-content-sha256") != payload:
            return self._error(400, "SignatureDoesNotMatch", "The payload hash does not match.")
        names = signed_headers.split(";")
        if "host" not in names or "x-acs-date" not in names or "x-acs-signature-nonce" not in names:
            return self._error(400, "SignatureDoesNotMatch", "Required headers are not signed.")
        query = sorted(parse_qsl(request.query, keep_blank_values=True))
        canonical_query = "&".join(f"{k}={quote(v, safe='~')}" for k, v in query)
        canonical_headers = "".join(f"{n}:{request.headers.get(n, '').strip()}\n" for n in names)
        canonical = "\n".join(
            [
                request.method,
                request.path or "/",
                canonical_query,
                canonical_headers,
                signed_headers,
                payload,
            ]
        )
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        expected = hmac.new(
            self.access_key_secret.encode(), to_sign.encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return self._error(
                400, "SignatureDoesNotMatch", "Specified signature does not match our calculation."
            )
        try:
            stamp = datetime.strptime(
                request.headers["x-acs-date"] + "+0000", "%Y-%m-%dT%H:%M:%SZ%z"
            )
        except (KeyError, ValueError):
            return self._error(400, "InvalidTimeStamp.Format", "Specified time stamp is not valid.")
        if abs((datetime.now(UTC) - stamp).total_seconds()) > 900:
            return self._error(400, "InvalidTimeStamp.Expired", "Specified time stamp has expired.")
        nonce = request.headers.get("x-acs-signature-nonce", "")
        if nonce in self._nonces:
            return self._error(
                400, "SignatureNonceUsed", "Specified signature nonce was used already."
            )
        self._nonces.add(nonce)
        return None

    # -- sending ------------------------------------------------------------------------------

    def _send(self, params: dict[str, str], batch: bool) -> Response | None:
        code = params.get("TemplateCode", "")
        try:
            if batch:
                phones = json.loads(params.get("PhoneNumberJson", "[]"))
                signs = json.loads(params.get("SignNameJson", "[]"))
                values = json.loads(params.get("TemplateParamJson", "[]"))
            else:
                phones = params.get("PhoneNumbers", "").split(",")
                signs = [params.get("SignName", "")] * len(phones)
                values = [json.loads(params.get("TemplateParam") or "{}")] * len(phones)
        except json.JSONDecodeError:
            return self._refuse("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
        limit = MAX_BATCH_NUMBERS if batch else MAX_SEND_NUMBERS
        if not phones or len(phones) > limit:
            return self._refuse("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制")
        if len(signs) != len(phones) or len(values) != len(phones):
            return self._refuse("isv.INVALID_PARAMETERS", "参数异常")
        if any(s not in self.signs for s in signs):
            return self._refuse("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        template = self.templates.get(code)
        if template is None:
            return self._refuse("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        wanted = set(_VARIABLE.findall(template))
        for value in values:
            if not isinstance(value, dict) or set(value) != wanted:
                return self._refuse("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值")
            for v in value.values():
                if not isinstance(v, str):
                    return self._refuse("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
                if len(v) > MAX_PARAM_CHARS:
                    return self._refuse("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制")
                if _LINK.search(v):
                    return self._refuse("isv.PARAM_NOT_SUPPORT_URL", "不支持URL")
        if self.balance_empty:
            return self._refuse("isv.AMOUNT_NOT_ENOUGH", "账户余额不足")
        for phone in phones:
            if phone in self.invalid_numbers or not re.fullmatch(r"1\d{10}", phone):
                return self._refuse("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
            if phone in self.flow_limited:
                return self._refuse("isv.BUSINESS_LIMIT_CONTROL", self.flow_limited[phone])
        biz_id = f"{next(self._ids)}^0"
        now = datetime.now(CHINA)
        for phone, sign, value in zip(phones, signs, values, strict=True):
            text = f"【{sign}】" + _VARIABLE.sub(lambda m, v=value: v[m.group(1)], template)
            message = SentSms(
                biz_id,
                phone,
                sign,
                code,
                value,
                params.get("OutId", ""),
                text,
                now,
                "SendBatchSms" if batch else "SendSms",
            )
            self.messages.append(message)
            self._reports.append(Push(self._report(message)))
        if self._lose:
            self._lose -= 1
            return None  # accepted, and the answer never comes
        return Response.json(
            200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "r"}
        )

    @staticmethod
    def _report(message: SentSms) -> dict[str, Any]:
        return {
            "phone_number": message.phone,
            "send_time": message.at.strftime("%Y-%m-%d %H:%M:%S"),
            "report_time": message.at.strftime("%Y-%m-%d %H:%M:%S"),
            "success": True,
            "err_code": "DELIVERED",
            "err_msg": "用户接收成功",
            "sms_size": "1",
            "biz_id": message.biz_id,
            "out_id": message.out_id,
        }

    def _query(self, params: dict[str, str]) -> Response:
        phone, date = params.get("PhoneNumber", ""), params.get("SendDate", "")
        if not phone or not re.fullmatch(r"\d{8}", date) or not params.get("PageSize"):
            return self._refuse("isv.INVALID_PARAMETERS", "参数异常")
        biz_id = params.get("BizId")
        found = [
            m
            for m in self.messages
            if m.phone == phone
            and m.at.strftime("%Y%m%d") == date
            and (not biz_id or m.biz_id == biz_id)
        ]
        details = [
            {
                "PhoneNum": m.phone,
                "SendStatus": 3,
                "ErrCode": "DELIVERED",
                "TemplateCode": m.template_code,
                "Content": m.text,
                "SendDate": m.at.strftime("%Y-%m-%d %H:%M:%S"),
                "ReceiveDate": m.at.strftime("%Y-%m-%d %H:%M:%S"),
                "OutId": m.out_id,
                "BizId": m.biz_id,
            }
            for m in found
        ]
        return Response.json(
            200,
            {
                "Code": "OK",
                "Message": "OK",
                "RequestId": "r",
                "TotalCount": len(details),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
            },
        )

    # -- pushes ------------------------------------------------------------------------------

    def fail_report(self, phone: str, err_code: str = "MK:0001", err_msg: str = "空号") -> None:
        """Turn the pending reports for this phone into failures."""
        with self.lock:
            for push in self._reports:
                if push.payload["phone_number"] == phone:
                    push.payload.update(success=False, err_code=err_code, err_msg=err_msg)

    def reply(
        self, phone: str, content: str, client: Any = None, sign_name: str = ""
    ) -> WebhookResponse:
        """Post an SmsUp push: the resident's phone sent `content` back."""
        with self.lock:
            sequence = next(self._ups)
        item = {
            "phone_number": phone,
            "send_time": datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
            "content": content,
            "sign_name": sign_name or next(iter(sorted(self.signs)), ""),
            "dest_code": "",
            "sequence_id": sequence,
        }
        return self._post_until_accepted(self.up_url, [item], client)


def main(argv: list[str] | None = None) -> int:
    """Serve a FakeAlibaba in this process until SIGTERM/SIGINT; then write what it received.

    For benchmarks (the fake's CPU is not the app's). It approves the sign name 邻里 and the
    template SMS_100001 = "${text}", prints one JSON line (base_url, access_key_id,
    access_key_secret) once listening, and with --report writes on stopping
    {"messages": [[phone, received_at epoch seconds], ...], "rejections": {code: n},
    "requests": n}; a call refused for pace counts as "429", as Twilio's do.
    """
    args = bench_arguments("python -m tests.fakes.alibaba", argv)
    fake = FakeAlibaba().start()
    fake.register("邻里", {"SMS_100001": "${text}"})
    with fake.lock:
        fake.latency_seconds = args.latency
        fake.rate_per_second = args.rate

    def report() -> dict[str, Any]:
        rejections: dict[str, int] = {}
        for code, _message in fake.refusals:
            key = "429" if code.startswith("Throttling") else code
            rejections[key] = rejections.get(key, 0) + 1
        return {
            "messages": [["+86" + m.phone, m.at.timestamp()] for m in fake.messages],
            "rejections": rejections,
            "requests": fake.requests_seen,
            "calls": len(fake.calls),
        }

    info = {
        "base_url": fake.base_url,
        "access_key_id": fake.access_key_id,
        "access_key_secret": fake.access_key_secret,
    }
    return serve_for_bench(fake, info, args.report, report)


if __name__ == "__main__":
    raise SystemExit(main())
