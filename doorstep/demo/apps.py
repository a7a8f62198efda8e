from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (演示数据): `seed_demo` builds the 学院路 street from OpenStreetMap or a
    synthetic district, one module per domain. Nothing in the product imports it."""

    name = "doorstep.demo"
    label = "demo"
    verbose_name = "演示数据"
