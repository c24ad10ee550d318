"""The assessment's message kinds: a post-holder told their stars when results are published.

Plain constants; the registry (pwa.features) registers MESSAGE_KINDS when the app is built.
"""

from __future__ import annotations

from notify.templates import HOUR, MessageKind

ASSESSMENT_STARS = MessageKind(
    name="assessment_stars",
    zh="{year}年第{quarter}季度考核结果已公示：您获评{stars}星，总分{total}。感谢您的付出！",
    en="The {year} Q{quarter} assessment is published: you have {stars} stars, a total of {total}.",
    example={"year": 2026, "quarter": 3, "stars": 4, "total": "86.5"},
    validity_seconds=24 * HOUR,
    description="To each building head and N member when a quarter's assessment is published.",
)
ASSESSMENT_STARS_YEAR = MessageKind(
    name="assessment_stars_year",
    zh="{year}年度考核结果已公示：您获评{stars}星，总分{total}。感谢您的付出！",
    en="The {year} year-end assessment is published: you have {stars} stars, a total of {total}.",
    example={"year": 2026, "stars": 5, "total": "92"},
    validity_seconds=24 * HOUR,
    description="To each building head and N member when the year-end assessment is published.",
)

MESSAGE_KINDS = (ASSESSMENT_STARS, ASSESSMENT_STARS_YEAR)
