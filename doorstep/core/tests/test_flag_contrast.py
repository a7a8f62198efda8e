"""The deadline flags (正常 / 将到期 / 已超期) are legible: each flag's text colour against its
background meets WCAG AA for normal text (4.5:1). The browser check (e2e/test_accessibility)
sees a flag only when the demo has a case in that state at the hour it runs; this reads
the style sheet itself."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[3] / "static" / "css"
RULE = re.compile(r"([^{}]+)\{([^}]*)\}")


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _rules(name: str) -> dict[str, dict[str, str]]:
    out = {}
    for selector, body in RULE.findall((STATIC / name).read_text(encoding="utf-8")):
        props = dict(
            (k.strip(), v.strip()) for k, _, v in (p.partition(":") for p in body.split(";")) if v
        )
        out[selector.strip()] = props
    return out


def test_contrast_is_computed_as_wcag_defines_it():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48


def test_each_deadline_flag_is_legible_on_its_background():
    checked = 0
    for selector, props in _rules("cases.css").items():
        colour, background = props.get("color", ""), props.get("background", "")
        if selector.startswith(".flag.") and colour.startswith("#") and background.startswith("#"):
            assert contrast(colour, background) >= 4.5, (selector, colour, background)
            checked += 1
    assert checked >= 2  # 将到期 and 已超期 at least
    soon = _rules("workbench.css")[".wb-rows li.soon::before"]["color"]
    assert contrast(soon, "#ffffff") >= 4.5
