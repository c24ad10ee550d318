"""Alibaba Cloud SMS (dysmsapi): template SMS to mainland phones, pushed reports and replies."""
