from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "doorstep.accounts"
    label = "accounts"
    verbose_name = "账号与权限"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import roles, signals  # noqa: F401 - login audit receivers

        post_migrate.connect(roles.sync_default_roles, sender=self)
