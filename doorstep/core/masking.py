"""How personal numbers look to someone who may not unmask them (脱敏)."""


def mask_id_card(value: str | None) -> str:
    """110101199003071234 -> 110***********1234 (region prefix and last four kept)."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    """13812345678 -> 138****5678."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张三丰 -> 张**: for exports to roles that may not see names in full."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)
