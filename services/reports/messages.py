"""Observers' reports' message kinds: the replies to a report by SMS or Telegram.

The answer to a report reaches the reporter through the needs list's own kinds (need_solved,
need_property_sent, need_partner_answer, ...): "您反映的…" reads right for a reporter too.
"""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

REPLY: dict[str, object] = {"validity_seconds": HOUR, "urgent": True}
REPORT_LOGGED = MessageKind(
    name="report_logged",
    zh="已记录问题{ref}：{need}。处理后会告诉您。",
    en="Problem {ref} recorded: {need}. You will hear the answer.",
    example={"ref": "N12", "need": "5号楼路灯坏了"},
    description="The reply to a problem reported by SMS or Telegram (反映 …).",
    **REPLY,  # type: ignore[arg-type]
)
REPORT_PROBLEM = MessageKind(
    name="report_problem",
    zh="问题未记录：{problem}",
    en="Problem not recorded: {problem}",
    example={"problem": "请写上问题和地点，如“反映 5号楼路灯坏了”。"},
    description="The reply to a problem report that could not be recorded, saying why.",
    **REPLY,  # type: ignore[arg-type]
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (REPORT_LOGGED, REPORT_PROBLEM)
