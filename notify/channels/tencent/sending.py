"""Sending template SMS through Tencent Cloud SMS with the official SDK (TC3-HMAC-SHA256).

SendSms takes up to 200 numbers with the same TemplateParamSet (the template's {1}, {2} …
values in order) and answers a SendStatusSet with a code per number. SessionContext carries
the delivery ids ("1234" or "1200-1299"); the provider id kept is each number's SerialNo,
which the status callback gives back as its "sid".
A call whose answer never came marks its deliveries uncertain; before they go again,
PullSmsSendStatusByPhoneNumber is asked for a send of the last two days whose SessionContext
covers them. TENCENT_SMS_ENDPOINT points the SDK at another host (the test fake).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as sms_models
from tencentcloud.sms.v20210111.sms_client import SmsClient

from models import utcnow
from notify.channels.base import Outgoing, PermanentFailure, Sent, TransientFailure
from notify.channels.templated import (
    Result,
    TemplateChannel,
    call_id,
    call_id_covers,
    never_sent,
    split_endpoint,
)
from notify.channels.tencent import status

DEFAULT_ENDPOINT = "sms.tencentcloudapi.com"
TIMEOUT_SECONDS = 10
MAX_NUMBERS = 200
LOOK_BACK_SECONDS = 2 * 86400


@dataclass
class TencentSettings:
    secret_id: str
    secret_key: str
    app_id: str
    region: str = "ap-guangzhou"
    endpoint: str = DEFAULT_ENDPOINT


class TencentSms(TemplateChannel):
    """The SMS channel on Tencent Cloud; one SDK client per sending thread."""

    provider = "tencent"

    def __init__(self, settings: TencentSettings) -> None:
        super().__init__()
        self.settings = settings
        self.timeout = TIMEOUT_SECONDS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TencentSms:
        return cls(
            TencentSettings(
                secret_id=str(config["TENCENT_SECRET_ID"]),
                secret_key=str(config["TENCENT_SECRET_KEY"]),
                app_id=str(config["TENCENT_SMS_APP_ID"]),
                region=str(config.get("TENCENT_SMS_REGION") or "ap-guangzhou"),
                endpoint=str(config.get("TENCENT_SMS_ENDPOINT") or DEFAULT_ENDPOINT),
            )
        )

    def new_client(self) -> SmsClient:
        scheme, endpoint = split_endpoint(self.settings.endpoint)
        http = HttpProfile(protocol=scheme, endpoint=endpoint, reqTimeout=self.timeout)
        cred = credential.Credential(self.settings.secret_id, self.settings.secret_key)
        return SmsClient(cred, self.settings.region, ClientProfile(httpProfile=http))

    def send_many(
        self, outgoings: Sequence[Outgoing], pace: Callable[[], None] | None = None
    ) -> list[Result]:
        """Send these messages in as few calls as the API allows; a result for each, in order."""
        results: dict[int, Result] = {}
        groups: dict[tuple[Any, ...], list[Outgoing]] = {}
        for out in outgoings:
            if out.template is None:
                results[out.delivery_id] = PermanentFailure("no_template", "no template given")
                continue
            if out.check_first:
                found = self._already_sent(out)
                if found is not None:
                    results[out.delivery_id] = found
                    continue
            t = out.template
            groups.setdefault((t.code, t.sign_name, tuple(t.params.values())), []).append(out)
        for group in groups.values():
            for start in range(0, len(group), MAX_NUMBERS):
                if pace is not None:
                    pace()
                results.update(self._call(group[start : start + MAX_NUMBERS]))
        return [results[out.delivery_id] for out in outgoings]

    def _call(self, call: list[Outgoing]) -> dict[int, Result]:
        ids = [out.delivery_id for out in call]
        context = call_id(ids)
        template = call[0].template
        assert template is not None
        request = sms_models.SendSmsRequest()
        request.PhoneNumberSet = [out.address for out in call]
        request.SmsSdkAppId = self.settings.app_id
        request.SignName = template.sign_name
        request.TemplateId = template.code
        request.TemplateParamSet = [str(v) for v in template.params.values()]
        request.SessionContext = context
        try:
            answer = self.client().SendSms(request)
        except TencentCloudSDKException as error:
            code = str(error.get_code() or "")
            if code == "ClientNetworkError":
                text = str(error.get_message() or "")
                if never_sent(text):
                    return dict.fromkeys(ids, TransientFailure("timeout", "connection refused"))
                return dict.fromkeys(ids, TransientFailure("uncertain", text[:80], uncertain=True))
            return dict.fromkeys(ids, status.failure(code, str(error.get_message()), utcnow()))
        by_phone = {s.PhoneNumber: s for s in answer.SendStatusSet or []}
        results: dict[int, Result] = {}
        for out in call:
            item = by_phone.get(out.address)
            if item is None:
                results[out.delivery_id] = TransientFailure("missing", "no status for the number")
            elif item.Code == status.OK:
                # The status callback names the message by this SerialNo (its "sid").
                serial = str(item.SerialNo or "") or f"{context}@{out.address}"
                results[out.delivery_id] = Sent(provider_id=serial)
            else:
                results[out.delivery_id] = status.failure(item.Code, item.Message or "", utcnow())
        return results

    def _already_sent(self, out: Outgoing) -> Result | None:
        """Ask the provider whether an earlier try of this message went; None if it did not."""
        request = sms_models.PullSmsSendStatusByPhoneNumberRequest()
        request.PhoneNumber = out.address
        request.SmsSdkAppId = self.settings.app_id
        request.BeginTime = int(time.time()) - LOOK_BACK_SECONDS
        request.Offset = 0
        request.Limit = 100
        try:
            answer = self.client().PullSmsSendStatusByPhoneNumber(request)
        except TencentCloudSDKException as error:
            return TransientFailure(str(error.get_code()), "could not ask", uncertain=True)
        for item in answer.PullSmsSendStatusSet or []:
            if call_id_covers(str(item.SessionContext or ""), out.delivery_id):
                serial = str(item.SerialNo or "") or f"{item.SessionContext}@{out.address}"
                return Sent(provider_id=serial)
        return None
