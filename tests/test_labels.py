"""Every code of every vocabulary has a label, in the module that owns it; pages use them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from notify import commands, inbound, kind_titles, templates
from notify.channels import channel_label
from pwa import labels
from services import audit
from services.needs import queries as need_queries
from services.roster import importing
from services.roster import operations as roster
from tests.support import sign_in

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_message_kind_has_a_title(app: Flask) -> None:
    assert set(templates.KINDS) <= set(kind_titles.TITLES), sorted(
        set(templates.KINDS) - set(kind_titles.TITLES)
    )
    with app.test_request_context(), force_locale("zh"):
        for name in templates.KINDS:
            assert CJK.search(kind_titles.title(name)), name


def test_every_audit_action_in_the_code_has_a_label() -> None:
    used: set[str] = set()
    for path in [*ROOT.glob("services/**/*.py"), *ROOT.glob("pwa/**/*.py")]:
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"audit\.record\((.{0,400}?)\n\s*\)", text, re.S):
            used.update(re.findall(r'action="([^"]+)"', call.group(1)))
    assert {"role.permissions", "post.assign", "create"} <= used, used
    assert used <= set(audit.ACTIONS), sorted(used - set(audit.ACTIONS))


def test_each_vocabulary_reads_in_chinese(app: Flask) -> None:
    with app.test_request_context(), force_locale("zh"):
        for vocabulary in labels.VOCABULARIES:
            for code in vocabulary.codes():
                label = vocabulary.label(code)
                # Chinese, or a name kept as it is (Telegram), never the code itself.
                assert label != code, (vocabulary.filter_name, code, label)
                assert CJK.search(label) or label[0].isupper(), (vocabulary.filter_name, code)
        assert (
            inbound.outcome_label("handled:reply_limited")
            == "已识别并答复（本小时答复过多，未再答复）"
        )
        assert commands.command_label("wish_claim") == "认领"
        assert need_queries.source_label("observer") == "民情观察员"
        assert channel_label("app") == "网页"
        assert audit.detail_label("coverage.csv grid=3") == "导出走访覆盖率 网格=3"
        assert audit.records_label(" resident:12 household:3 ") == "居民#12 住户#3"
        assert audit.records_label("household:3 household:4") == "住户#3 住户#4"
        # The audit page tells a field list from a page by these names, untranslated.
        assert set(importing.field_labels()) == importing.FIELD_NAMES
        assert labels._audit_detail("birth_year, phone") == "出生年份、电话"
    with app.test_request_context(), force_locale("en"):
        assert commands.command_label("wish_claim", "en") == "CLAIM"
        assert inbound.outcome_label("unknown:reply_limited") == (
            "Not understood (no reply sent: too many replies this hour)"
        )


def test_care_flags_read_as_labels_and_typed_labels_are_kept_as_codes(app: Flask) -> None:
    with app.test_request_context(), force_locale("zh"):
        assert roster.care_flag_label("chronic_illness") == "慢性病"
        assert roster.care_flag_label("独居") == "独居"  # typed by hand: shown as typed
        assert roster.parse_care_flags("慢性病、独居, low_income") == [
            "chronic_illness",
            "独居",
            "low_income",
        ]


def test_the_resident_page_and_the_edit_form_show_labels(client: FlaskClient, make: Any) -> None:
    community = make.community()
    grid = make.grid(community)
    building = make.building(grid)
    household = make.household(building)
    resident = make.resident(household, care_flags=["chronic_illness", "独居"])
    head = make.person()
    make.post(head, "building_head", community=community, building=building)
    sign_in(client, head.phone)
    page = client.get(f"/residents/{resident.id}").get_data(as_text=True)
    assert "慢性病、独居" in page and "chronic_illness" not in page
    form = client.get(f"/residents/{resident.id}/edit").get_data(as_text=True)
    assert 'value="慢性病, 独居"' in form


def test_kept_labels_and_role_names_follow_a_switch_of_language(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        flag = labels.kept(labels.VOCABULARIES[0])
        zh_flag, zh_role = flag("dementia"), labels.role_label("grid_leader")
        assert CJK.search(zh_flag) and CJK.search(zh_role)
        with force_locale("en"):
            assert not CJK.search(flag("dementia")) and not CJK.search(
                labels.role_label("grid_leader")
            )
        assert (flag("dementia"), labels.role_label("grid_leader")) == (zh_flag, zh_role)
