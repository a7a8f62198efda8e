"""No signal carries domain work: what a lower domain tells a higher one goes through its
append-only event log (core.events), and counters are kept by the services that write.

Allowed: Django's own plumbing signals for installation (post_migrate: default rows) and
for security audit (login, logout, failed login); and the figure cache's watch on each new
database connection (connection_created: it renews cache tokens, no domain work)."""

from __future__ import annotations

import importlib
import pkgutil
import weakref

from django.contrib.auth import signals as auth_signals
from django.core import signals as core_signals
from django.db.backends import signals as backend_signals
from django.db.models import signals as model_signals
from django.dispatch import Signal
from django.test import signals as test_signals

import doorstep

ALLOWED = {
    ("post_migrate", "doorstep.accounts.roles"),
    ("post_migrate", "doorstep.service.defaults"),
    ("post_migrate", "doorstep.nearby.sites.defaults"),
    ("post_migrate", "doorstep.cockpit.apps"),
    ("user_logged_in", "doorstep.accounts.signals"),
    ("user_logged_out", "doorstep.accounts.signals"),
    ("user_login_failed", "doorstep.accounts.signals"),
    ("connection_created", "doorstep.core.figure_cache"),
}
DJANGO_SIGNALS = {
    name: value
    for source in (model_signals, auth_signals, core_signals, backend_signals, test_signals)
    for name, value in vars(source).items()
    if isinstance(value, Signal)
}


def _receiver_modules(signal: Signal) -> set[str]:
    modules = set()
    for _key, ref, *_ in signal.receivers:
        receiver = ref() if isinstance(ref, weakref.ReferenceType) else ref
        module = getattr(receiver, "__module__", "") or ""
        if module.startswith("doorstep."):
            modules.add(module)
    return modules


def test_doorstep_receives_only_installation_and_login_signals():
    seen = {
        (name, module)
        for name, signal in DJANGO_SIGNALS.items()
        for module in _receiver_modules(signal)
    }
    assert seen <= ALLOWED
    assert not any(
        name in {"pre_save", "post_save", "pre_delete", "post_delete"} for name, _ in seen
    )


def test_no_doorstep_module_defines_a_signal_of_its_own():
    django_ones = {id(s) for s in DJANGO_SIGNALS.values()}
    defined = []
    for info in pkgutil.walk_packages(doorstep.__path__, "doorstep."):
        if ".tests" in info.name or ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for attr, value in vars(module).items():
            if isinstance(value, Signal) and id(value) not in django_ones:
                defined.append(f"{info.name}.{attr}")
    assert defined == []
