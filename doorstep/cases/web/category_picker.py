"""Picking a category out of ~700 (the government catalogue and the community's own):
the community's most used first, a type-ahead (name, 繁体, pinyin or initials) and a
three-level cascade (一级 › 二级 › 三级), all radio buttons of one name, so the form
posts one category however it was found. Used by filing and the 待分类 queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from doorstep.cases.models import Category, CategoryRollup
from doorstep.core.figure_cache import remembered
from doorstep.core.ids import parse_id
from doorstep.core.search import normalise_query

SHOWN = 30
COMMON = 8


@dataclass(frozen=True)
class Named:
    """A category as the cascade shows it: its id and name."""

    pk: int
    name: str


@dataclass
class Node:
    category: Named
    children: list[Node] = field(default_factory=list)


def tree() -> list[Node]:
    """The active categories as a tree of nodes; a node without children is a leaf. Read
    as plain rows (about 700 on every filing form: model instances were a third of it)."""
    rows = list(
        Category.objects.filter(active=True).order_by("code").values_list("pk", "parent_id", "name")
    )
    nodes = {pk: Node(Named(pk, name)) for pk, _parent, name in rows}
    roots: list[Node] = []
    for pk, parent_id, _name in rows:
        parent = nodes.get(parent_id) if parent_id else None
        (parent.children if parent else roots).append(nodes[pk])
    return roots


def kept_cascade(chosen: str) -> SafeString:
    """`cascade(tree(), chosen)`, kept in the figure cache until a category is written
    (one entry for the blank form, which is nearly every request, and one per choice a
    refused form came back with)."""
    key = str(parse_id(chosen) or "")
    markup: str = remembered("cases:category_cascade", key, lambda: str(cascade(tree(), key)))
    return mark_safe(markup)  # noqa: S308 (built by cascade, which escapes every name)


def cascade(roots: list[Node], chosen: str) -> SafeString:
    """The three-level cascade's markup: about 700 radio buttons. Built here rather than by
    template loops, which cost a tenth of a millisecond per button (the filing form is
    the page residents open most)."""

    def pick(c: Named) -> str:
        checked = " checked" if chosen == str(c.pk) else ""
        return (
            f'<label class="pick"><input type="radio" name="category" value="{c.pk}"'
            f"{checked}> {escape(c.name)}</label>"
        )

    out: list[str] = []
    for top in roots:
        out.append(f'<details class="level-1"><summary>{escape(top.category.name)}</summary>')
        for second in top.children:
            if second.children:
                out.append(
                    f'<details class="level-2"><summary>{escape(second.category.name)}</summary>'
                )
                out.extend(pick(leaf.category) for leaf in second.children if not leaf.children)
                out.append("</details>")
            else:
                out.append(pick(second.category))
        if not top.children:
            out.append(pick(top.category))
        out.append("</details>")
    return mark_safe("".join(out))  # noqa: S308 (every name is escaped above)


def common(org: Any) -> list[Category]:
    """The leaf categories most received under `org` in the last twelve months."""
    if org is None:
        return []
    since = timezone.localdate().replace(day=1) - dt.timedelta(days=365)
    top = (
        CategoryRollup.objects.filter(organisation=org, month__gte=since)
        .values("category_id")
        .annotate(n=Sum("received"))
        .filter(n__gt=0)
        .order_by("-n", "category_id")[: COMMON * 2]
    )
    ids = [r["category_id"] for r in top]
    leaves = Category.objects.filter(pk__in=ids, active=True, children__isnull=True).in_bulk()
    return [leaves[i] for i in ids if i in leaves][:COMMON]


def matching(query: str) -> list[Category]:
    needle = normalise_query(query)
    if not needle:
        return []
    return list(
        Category.objects.filter(
            active=True, children__isnull=True, search_text__contains=needle
        ).order_by("code")[: SHOWN + 1]
    )


@login_required
def category_search(request: HttpRequest) -> HttpResponse:
    """GET ?category_q= → matching leaf categories as radio buttons named `category`."""
    query = str(request.GET.get("category_q") or "").strip()[:50]
    if any(ord(ch) < 32 for ch in query):
        query = ""
    found = matching(query) if query else []
    return render(
        request,
        "cases/_category_choices.html",
        {"found": found[:SHOWN], "more": len(found) > SHOWN, "query": query},
    )
