"""Meetings (例会, 座谈会, 联席会, 季度网格长例会): invitations, answers, attendance, minutes."""
