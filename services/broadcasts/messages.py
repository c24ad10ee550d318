"""Broadcasts' message kinds: the mobilisation ("reply 1 to join") and the policy notice.

Plain constants; the registry (pwa.features) registers MESSAGE_KINDS when the app is built.
"""

from __future__ import annotations

from notify.templates import HOUR, MessageKind
from services.work_orders.messages import REPLY, order_kind

MOBILISATION = order_kind(
    "mobilisation",
    "【动员】{text}",
    "[Call for help] {text}",
    example={"text": "需要20人07:00清扫积雪，回复1报名"},
    validity_seconds=2 * HOUR,
    urgent=True,
    description="An urgent mobilisation; a reply of 1 signs the person up.",
)
MOBILISATION_HOW = order_kind(
    "mobilisation_how",
    "报名请回复1，或回复“认领 {ref}”。",
    "To join, reply 1, or CLAIM {ref}.",
    **REPLY,
)
POLICY_NOTICE = order_kind(
    "policy_notice",
    "{text}",
    "{text}",
    example={"text": "80周岁以上老人可申领高龄补贴，请本人或家属带身份证到社区办理。"},
    validity_seconds=24 * HOUR,
    description="An information broadcast to the residents it concerns.",
)


MESSAGE_KINDS: tuple[MessageKind, ...] = (MOBILISATION, MOBILISATION_HOW, POLICY_NOTICE)
