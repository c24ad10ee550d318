"""Every message kind renders its example in Chinese and English."""

from __future__ import annotations

from notify import sign_in


def test_sign_in_code_message_snapshot() -> None:
    assert sign_in.render("zh", **sign_in.EXAMPLE) == (
        "【邻里】您的登录验证码是482913，10分钟内有效。请勿告诉他人。"
    )
    assert sign_in.render("en", **sign_in.EXAMPLE) == (
        "【邻里】Your sign-in code is 482913. It is valid for 10 minutes. Do not share it."
    )
    # An unknown language falls back to Chinese, the community's language.
    assert sign_in.render("fr", **sign_in.EXAMPLE).startswith("【邻里】")
    # Fits one Chinese SMS (70 UCS-2 characters).
    assert len(sign_in.render("zh", **sign_in.EXAMPLE)) <= 70
