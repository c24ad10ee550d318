"""The demo community's names and numbers: surnames, given names by generation and sex,
mobile prefixes, and its partner units. Data only; services/roster/demo.py builds from it.
"""

from __future__ import annotations

from models.roles import Role

PARTNER_UNITS = (
    (
        "华州区人民医院",
        "医疗卫生",
        ((1, Role.PUBLICIST), (2, Role.PUBLICIST), (3, Role.OBSERVER), (4, Role.PUBLICIST)),
    ),
    (
        "华州区自来水公司",
        "国有企业",
        ((2, Role.PROPERTY_LIAISON), (3, Role.PATROLLER), (5, Role.PROPERTY_LIAISON)),
    ),
    (
        "华州区第二中学",
        "学校",
        ((1, Role.CIVILITY_ADVOCATE), (4, Role.MEDIATOR), (5, Role.CIVILITY_ADVOCATE)),
    ),
)

MOBILE_PREFIXES = (  # noqa: SIM905 (a string reads better than 34 quoted items)
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 173 176 "
    "177 178 180 181 182 183 185 186 187 188 189 198 199"
).split()

SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁"
    "邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康"
    "毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
# Given names by generation (born up to 1955, 1956-1985, 1986-2005, after) and sex.
GIVEN = {
    ("old", "m"): "建国 国庆 志强 德明 振华 建华 国华 玉林 福生 长顺 学文 宝山 永福 金海 树林 "
    "树根 有才 满仓 德胜 广义 文斌 守义 洪涛 铁柱 保国 援朝 跃进 卫东 宝林 世杰",
    ("old", "f"): "秀英 桂兰 淑珍 玉兰 秀兰 凤英 桂英 翠花 素芬 丽华 淑英 秀珍 玉梅 桂芳 "
    "兰英 金凤 玉珍 秀云 淑芬 素珍 爱华 凤兰 春兰 月娥 彩霞 巧云 玉芝 翠英 爱莲 美兰",
    ("mid", "m"): "伟 强 军 勇 磊 涛 斌 海涛 建军 志刚 晓东 国栋 宏伟 鹏 辉 永刚 小军 "
    "红军 卫国 建平 海波 新民 立新 振宇 明亮 文军 彦斌 春生 宏亮 晓峰",
    ("mid", "f"): "丽 静 敏 燕 娟 艳 芳 红梅 丽娟 晓燕 海燕 春梅 雪梅 慧 小红 亚娟 丽萍 "
    "玉霞 晓琴 红霞 利娟 文静 彩云 美玲 惠芳 秀丽 海霞 晓玲 建英 亚妮",
    ("young", "m"): "浩 鑫 超 宇 晨 鹏飞 俊杰 文博 家豪 明轩 子豪 嘉伟 天宇 博 星宇 "
    "晨阳 一帆 泽宇 思远 少杰 奕辰 凯 航 昊天 锦程",
    ("young", "f"): "婷 雪 倩 佳 琳 欣 思雨 雨欣 晓雯 佳怡 梦瑶 雨婷 诗琪 静怡 佳琪 "
    "欣悦 晓萌 梦琪 雅琪 悦 怡然 紫薇 若彤 心怡 璐",
    ("child", "m"): "子轩 浩然 宇轩 梓豪 一鸣 俊熙 睿 博文 皓轩 沐阳 子墨 奕泽 宇航 "
    "煜祺 梓睿 子骞 铭泽 锦轩 瑞霖 晨曦",
    ("child", "f"): "欣怡 梓涵 诗涵 一诺 雨桐 可馨 子涵 若汐 语嫣 梓萱 思彤 沐晴 "
    "芷若 安琪 雨萱 梓琪 语桐 诗雨 依诺 星冉",
}
GIVEN_NAMES = {key: tuple(value.split()) for key, value in GIVEN.items()}
