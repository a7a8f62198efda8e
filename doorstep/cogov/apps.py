from django.apps import AppConfig


class CogovConfig(AppConfig):
    """Co-governance: needs, resources and the matches between them."""

    name = "doorstep.cogov"
    label = "cogov"
    verbose_name = "共建共治"

    def ready(self) -> None:
        # Registers who decides and what posts a fund line waiting for a second person.
        from . import funds  # noqa: F401
