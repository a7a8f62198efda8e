"""Listening and deciding (议事协商): topics, 1+N councils and their meetings, votes that
follow the law for owners' matters, resolutions, 两代表一委员 reception, door-knocking
campaigns and surveys. Sits above co-building (a resolution may start a project); the
co-building domain learns of deliberation only through the event log."""
