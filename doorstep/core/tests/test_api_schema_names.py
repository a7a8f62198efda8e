"""Each schema of the API document is one class: ninja names a component after its class,
so two classes of one name (co-governance's NeedIn and a knock's need, once) describe both
operations with whichever was seen last, and clients are told to send the wrong shape."""

from __future__ import annotations

from collections import defaultdict


def test_no_two_api_schemas_share_a_name():
    from ninja import Schema

    import config.api  # noqa: F401  (imports every router, so every schema class exists)

    where: dict[str, set[str]] = defaultdict(set)
    todo = list(Schema.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        # "Input" is ninja's own wrapper of an operation's parameters, made per operation
        if cls.__name__ == "Input" or ".tests." in cls.__module__:
            continue
        if cls.__module__.startswith("doorstep."):
            where[cls.__name__].add(cls.__module__)
    assert len(where) > 50  # the walk found the API's schemas
    assert {name: mods for name, mods in where.items() if len(mods) > 1} == {}
