"""A user's data scope (数据权限). The scope itself and the access door now live in
core.access; these names stay importable from here."""

from __future__ import annotations

from doorstep.core.access import NOBODY, Scope, path_q, scope_of

__all__ = ["NOBODY", "Scope", "path_q", "scope_of"]
