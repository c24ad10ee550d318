"""What each message kind is called on a screen (the outbox, the message kinds page).

The kinds themselves live with their features (`services/<feature>/messages.py`) and are
registered in `notify.templates.KINDS`; their names are codes. Every registered kind has a
title here (tests/messages check it), so no screen shows a code such as `wish_claimed`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

TITLES: dict[str, Any] = {
    "sms_balance_empty": _l("SMS balance empty: sending stopped"),
    "group_mobilisation": _l("Work group: mobilisation"),
    "group_need": _l("Work group: new need"),
    "group_robot_test": _l("Work group: test message"),
    "group_visit_digest": _l("Work group: the month's visits"),
    "group_wish_escalated": _l("Work group: wish escalated"),
    "group_work_order": _l("Work group: new work order"),
    "group_work_order_short": _l("Work group: work order short of people"),
    "mediation_ask": _l("Mediation: is it settled? (to a party)"),
    "mediation_rated": _l("Reply: a party's answer received"),
    "mediation_follow_up_due": _l("Mediation: follow-up visit due"),
    "mediation_list": _l("Reply: my mediation cases"),
    "mediation_recorded": _l("Reply: mediation step recorded"),
    "mediation_refused": _l("Reply: mediation step refused"),
    "mediation_unknown": _l("Reply: no such mediation case"),
    "mediation_how": _l("Reply: how to record a mediation outcome"),
    "need_back_cancelled": _l("Need back: its work order was cancelled"),
    "need_back_expired": _l("Need back: its work order expired"),
    "need_chase_leader": _l("Needs waiting: to the grid leader"),
    "need_chase_secretary": _l("Needs waiting: to the secretary"),
    "need_partner_already": _l("Reply: referral already answered"),
    "need_partner_answer": _l("A partner unit's answer"),
    "need_partner_empty": _l("Reply: answer without text"),
    "need_partner_thanks": _l("Reply: answer received"),
    "need_partner_unknown": _l("Reply: no such referral"),
    "need_to_partner": _l("Need referred to a partner unit"),
    "help_reply": _l("Reply: the commands"),
    "mobilisation": _l("Mobilisation call"),
    "mobilisation_how": _l("Reply: how to join a mobilisation"),
    "need_declined": _l("Need declined"),
    "need_in_hand": _l("Need turned into a work order"),
    "need_logged": _l("Need recorded"),
    "need_referred": _l("Need referred"),
    "need_settled": _l("Need settled"),
    "need_solved": _l("Need solved"),
    "notice": _l("Notice"),
    "policy_notice": _l("Policy reminder"),
    # policy campaigns
    "campaign_notice": _l("Policy campaign: the SMS"),
    "campaign_thanks": _l("Policy campaign: thanks for the 1"),
    "campaign_told": _l("Policy campaign: household told"),
    "campaign_correction": _l("Policy campaign: how to write it"),
    "sign_in_code": _l("Sign-in code"),
    "sms_opted_in": _l("SMS resumed"),
    "sms_opted_out": _l("SMS stopped"),
    "telegram_already_linked": _l("Telegram: already linked"),
    "telegram_help": _l("Telegram: the commands"),
    "telegram_link_expired": _l("Telegram: link expired"),
    "telegram_link_invalid": _l("Telegram: link not valid"),
    "telegram_linked": _l("Telegram: account linked"),
    "telegram_resumed": _l("Telegram: messages resumed"),
    "telegram_start_help": _l("Telegram: how to start"),
    "telegram_stopped": _l("Telegram: messages stopped"),
    "unknown_reply": _l("Reply: not understood"),
    "urgent_notice": _l("Urgent notice"),
    "visit_all_done": _l("Visits: all done this month"),
    "visit_choose": _l("Visits: choose a household"),
    "visit_correction": _l("Visits: please correct"),
    "visit_digest": _l("Visits: monthly digest for grid leaders"),
    "visit_logged": _l("Visit recorded"),
    "visit_not_allowed": _l("Visits: no households to visit"),
    "visit_outcome": _l("Visits: how it went"),
    "visit_reminder": _l("Visits: monthly reminder"),
    "wish_claim_reply": _l("Wish: you took it up"),
    "wish_claimed": _l("Wish taken up"),
    "wish_done_reply": _l("Wish: done recorded"),
    "wish_error_not_found": _l("Wish: not found"),
    "wish_error_not_yours": _l("Wish: not yours"),
    "wish_error_note": _l("Wish: say what was done"),
    "wish_error_own": _l("Wish: cannot take up your own"),
    "wish_error_rated": _l("Wish: already rated"),
    "wish_error_rating": _l("Wish: rating from 1 to 5"),
    "wish_error_reason": _l("Wish: reason too long"),
    "wish_error_taken": _l("Wish: already taken up"),
    "wish_error_text": _l("Wish: text missing or too long"),
    "wish_error_unknown_sender": _l("Wish: number not on the roster"),
    "wish_error_withdrawn": _l("Wish: already withdrawn"),
    "wish_error_wrong_state": _l("Wish: cannot be done now"),
    "wish_escalated": _l("Wish waiting too long"),
    "wish_fulfilled": _l("Wish fulfilled"),
    "wish_handback_reply": _l("Wish: handed back"),
    "wish_handed_back": _l("Wish handed back (to the resident)"),
    "wish_handed_back_head": _l("Wish handed back (to the building head)"),
    "wish_low_rating": _l("Wish rated low"),
    "wish_posted": _l("Wish posted"),
    "wish_posted_reply": _l("Wish: received"),
    "wish_posted_reply_first": _l("Wish: received (first time)"),
    "wish_rated_claimer": _l("Wish rated (to the volunteer)"),
    "wish_rated_thanks": _l("Wish rated (thanks)"),
    "wish_withdraw_reply": _l("Wish: withdrawn"),
    "wish_withdrawn": _l("Wish withdrawn (to the resident)"),
    "wish_withdrawn_claimer": _l("Wish withdrawn (to the volunteer)"),
    "work_order_again": _l("Work order: still needs people"),
    "work_order_already": _l("Work order: already taken"),
    "work_order_before_window": _l("Work order: reminder before it starts"),
    "work_order_cancelled": _l("Work order cancelled"),
    "work_order_claimed": _l("Work order taken"),
    "work_order_closed": _l("Work order: closed"),
    "work_order_done": _l("Work order: done recorded"),
    "work_order_escalate": _l("Work order: short of people"),
    "work_order_filled": _l("Work order: full"),
    "work_order_list": _l("Work order: your list"),
    "work_order_new": _l("New work order"),
    "work_order_not_for_you": _l("Work order: not for you"),
    "work_order_not_yours": _l("Work order: not yours"),
    "work_order_refused": _l("Work order: refused"),
    "work_order_reopened": _l("Work order reopened"),
    "work_order_started": _l("Work order: start recorded"),
    "work_order_to_check": _l("Work order: to check"),
    "work_order_verified": _l("Work order verified"),
    "work_order_who": _l("Work order: volunteer not found"),
    "work_order_withdrawn": _l("Work order: place given up"),
    # Patrols (services/patrols)
    "patrol_finding_noted": _l("Patrol: finding noted"),
    "patrol_finished": _l("Patrol: finished"),
    "patrol_list": _l("Patrol: your shifts"),
    "patrol_refused": _l("Patrol: refused"),
    "patrol_signed_up": _l("Patrol: signed up"),
    "patrol_started": _l("Patrol: started"),
    "patrol_withdrawn": _l("Patrol: withdrawn"),
    "patrol_unstarted": _l("Patrol: nobody started the shift"),
}


# A kind relayed through a household contact ("请转告…"): notify.mainland.RELAY_PREFIX.
RELAYED = "relay:"


def title(name: str) -> str:
    """Return how a message kind reads; an unknown name shows as it is (tests catch that)."""
    if name.startswith(RELAYED):
        return str(_l("%(kind)s, relayed (请转告…)", kind=title(name.removeprefix(RELAYED))))
    label = TITLES.get(name)
    return str(label) if label is not None else name
