"""Tencent Cloud SMS (sms 2021-01-11): template SMS to mainland phones."""
