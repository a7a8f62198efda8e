from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "doorstep.inbox"
    label = "inbox"
    verbose_name = "消息"
