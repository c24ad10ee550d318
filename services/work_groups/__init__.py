"""The grid's work group (网格工作群): its WeCom robot, and what goes to the group."""
