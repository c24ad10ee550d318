"""Work orders (任务 / 工单): dispatched, claimed, chased, done and verified.

Temporary in the visits branch only: the flat services/work_orders.py moved here unchanged so
that services/work_orders/from_need.py can live in this package; this re-export keeps its
callers working. On merge take the orders branch's __init__.py (a bare docstring) instead.
"""

from services.work_orders.operations import *  # noqa: F403
from services.work_orders.operations import _ints as _ints
