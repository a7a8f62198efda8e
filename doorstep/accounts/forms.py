from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from doorstep.core.middleware import ip_of

from .lockout import is_locked_out


class LoginForm(AuthenticationForm):
    """Django's login form, refusing an account+address pair after repeated failures."""

    error_messages = {
        "invalid_login": "用户名或密码不正确。",
        "inactive": "该账号已停用。",
        "locked": "登录失败次数过多，请稍后再试。",
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = ip_of(self.request) if self.request is not None else ""
        if username and is_locked_out(username=username, ip=ip):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        return super().clean()
