"""What goes to a grid's work group: markdown for its WeCom group robot, in Chinese.

Plain constants; the registry (pwa.features) registers MESSAGE_KINDS when the app is built.
The texts carry no names, phones or health notes: a place is a building and room at most,
free text is masked and cut (services.work_groups.telling.clean).
"""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

GROUP_NEED = MessageKind(
    name="group_need",
    zh="**新需求 {ref}**（{grid}）\n> 类别：{category}\n> 位置：{where}\n> 内容：{text}",
    en="**New need {ref}** ({grid})\n> Category: {category}\n> Where: {where}\n> What: {text}",
    example={
        "ref": "N12",
        "grid": "第一网格",
        "category": "维修",
        "where": "幸福小区 3号楼 2单元501",
        "text": "楼道灯不亮",
    },
    validity_seconds=24 * HOUR,
    description="A new need in the grid, to the grid's work group (WeCom).",
)
GROUP_WISH_ESCALATED = MessageKind(
    name="group_wish_escalated",
    zh=(
        "**微心愿 {ref} 待认领**（已等{hours}小时，已上报{level}）\n"
        "> 类别：{category}\n> 位置：{building}\n> 内容：{text}"
    ),
    en=(
        "**Micro-wish {ref} unclaimed** ({hours} hours; raised to the {level})\n"
        "> Category: {category}\n> Where: {building}\n> What: {text}"
    ),
    example={
        "ref": "W7",
        "hours": 24,
        "level": "网格长",
        "category": "小修小补",
        "building": "幸福小区 3号楼",
        "text": "帮忙修水龙头",
    },
    validity_seconds=24 * HOUR,
    description="A micro-wish that waited unclaimed and went up a level, to the work group.",
)
GROUP_WORK_ORDER = MessageKind(
    name="group_work_order",
    zh=(
        "**新任务 {ref}**：{title}\n> 时间：{when}\n> 地点：{location}\n> 需{needed}人，"
        "短信或 Telegram 回复“认领 {ref}”认领"
    ),
    en=(
        "**New work order {ref}**: {title}\n> When: {when}\n> Where: {location}\n"
        "> {needed} needed; reply CLAIM {ref} by SMS or Telegram"
    ),
    example={
        "ref": "T34",
        "title": "清扫幸福家园积雪",
        "when": "11-26 07:00-09:00",
        "location": "幸福家园1-6号楼路段",
        "needed": 20,
    },
    validity_seconds=12 * HOUR,
    description="A new work order for the grid, to the work group.",
)
GROUP_WORK_ORDER_SHORT = MessageKind(
    name="group_work_order_short",
    zh="**任务 {ref} 还差{missing}人**：{title}\n> 即将开始：{when}\n> 地点：{location}",
    en="**Work order {ref} still needs {missing}**: {title}\n> Starts soon: {when}\n"
    "> Where: {location}",
    example={
        "ref": "T34",
        "title": "清扫幸福家园积雪",
        "when": "11-26 07:00-09:00",
        "location": "幸福家园1-6号楼路段",
        "missing": 5,
    },
    validity_seconds=3 * HOUR,
    description="A work order close to its start with places unclaimed, to the work group.",
)
GROUP_MOBILISATION = MessageKind(
    name="group_mobilisation",
    zh=(
        "**【动员】{ref} {title}**\n> {text}\n> 时间：{when}\n> 地点：{location}\n> 需{needed}人\n"
        "[查看实时报名人数]({link})"
    ),
    en=(
        "**[Call for help] {ref} {title}**\n> {text}\n> When: {when}\n> Where: {location}\n"
        "> {needed} needed\n[See who has joined, live]({link})"
    ),
    example={
        "ref": "T35",
        "title": "清扫积雪",
        "text": "需要20人07:00清扫积雪，回复1报名",
        "when": "11-26 07:00-09:00",
        "location": "幸福家园1-6号楼路段",
        "needed": 20,
        "link": "https://linli.example.cn/broadcasts/7",
    },
    validity_seconds=2 * HOUR,
    urgent=True,
    description="A mobilisation, with a link to its live count, to the work groups it concerns.",
)
GROUP_VISIT_DIGEST = MessageKind(
    name="group_visit_digest",
    zh="**{grid} {month}月走访**：已走访{done}/{total}户，还剩{days}天\n{lines}",
    en="**{grid}, visits in month {month}**: {done}/{total} households, {days} days left\n{lines}",
    example={
        "grid": "第一网格",
        "month": 11,
        "done": 52,
        "total": 80,
        "days": 5,
        "lines": "> 幸福小区 1号楼：20/20\n> 幸福小区 2号楼：12/30",
    },
    validity_seconds=24 * HOUR,
    description="The month's visit coverage by building, to the grid's work group.",
)
GROUP_ROBOT_TEST = MessageKind(
    name="group_robot_test",
    zh="邻里测试消息：{grid}的群机器人已设置好。新需求、待认领的微心愿、任务和动员会发到本群。",
    en=(
        "Linli test message: the group robot of {grid} is set up. New needs, unclaimed "
        "micro-wishes, work orders and calls for help will come to this group."
    ),
    example={"grid": "第一网格"},
    validity_seconds=HOUR,
    urgent=True,
    description="The settings page's test message to a grid's group robot (sent at once).",
)

MESSAGE_KINDS: tuple[MessageKind, ...] = (
    GROUP_NEED,
    GROUP_WISH_ESCALATED,
    GROUP_WORK_ORDER,
    GROUP_WORK_ORDER_SHORT,
    GROUP_MOBILISATION,
    GROUP_VISIT_DIGEST,
    GROUP_ROBOT_TEST,
)
