from django.apps import AppConfig


class CogovConfig(AppConfig):
    """Co-governance: needs, resources and the matches between them."""

    name = "doorstep.cogov"
    label = "cogov"
    verbose_name = "共建共治"
