"""data_script writes what Django's json_script writes, by another encoder: the same
values once parsed, and nothing in a value can end the script element."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re

from django.template import Context, Template
from django.utils.html import json_script
from django.utils.translation import gettext_lazy

from doorstep.cockpit.panels import TopCategory
from doorstep.core.templatetags.page_data import data_script

VALUE = {
    "grids": [{"id": 7, "name": "学院路第一网格", "shapes": [[[39.99, 116.35], [40.0, 116.36]]]}],
    "trend": [("2026-11", 12), ("2026-12", 3)],
    "top": [TopCategory("噪音扰民", 4, 17)],
    "day": dt.date(2026, 12, 7),
    "label": gettext_lazy("工单"),
    "amount": decimal.Decimal("12.50"),
    "by_grid": {7: 3, 8: None},
    "attack": "</script><script>alert(1)</script>&amp;",
}


def _payload(html: str) -> str:
    found = re.fullmatch(r'<script id="d" type="application/json">(.*)</script>', html, re.S)
    assert found, html
    return found.group(1)


def test_the_values_read_back_as_json_script_writes_them():
    ours = json.loads(_payload(data_script(VALUE, "d")))
    theirs = json.loads(_payload(json_script(VALUE, "d")))
    assert ours == theirs
    assert ours["grids"][0]["name"] == "学院路第一网格"
    assert ours["by_grid"] == {"7": 3, "8": None}


def test_no_value_can_close_the_element():
    html = data_script(VALUE, "d")
    assert html.count("</script>") == 1 and html.count("<script") == 1
    assert "&amp;" not in _payload(html).replace("\\u0026amp;", "")


def test_the_filter_in_a_template():
    html = Template('{% load page_data %}{{ v|data_script:"d" }}').render(Context({"v": VALUE}))
    assert json.loads(_payload(html))["attack"] == VALUE["attack"]
