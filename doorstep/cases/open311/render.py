"""GeoReport v2 bodies as JSON or XML (xml.etree, UTF-8 with the XML declaration)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
FORMATS = ("json", "xml")
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# The tag of each element of a list, by the list's own tag (GeoReport v2 XML).
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}

# Characters XML 1.0 cannot carry at all (a text from the web form may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _fill(ET.SubElement(element, k), v)
    elif isinstance(value, list | tuple):
        tag = ITEM_TAGS.get(element.tag, "item")
        for v in value:
            _fill(ET.SubElement(element, tag), v)
    else:
        element.text = _text(value)


def to_xml(root: str, data: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    body = ET.tostring(element, encoding="unicode").encode("utf-8", "replace")
    return XML_DECLARATION + body


def respond(data: Any, fmt: str, root: str, status: int = 200) -> HttpResponse:
    """`root` is the XML root element (services, service_requests, …)."""
    if fmt == "xml":
        return HttpResponse(to_xml(root, data), status=status, content_type=XML_TYPE)
    body = json.dumps(data, ensure_ascii=False, allow_nan=False)
    return HttpResponse(body.encode("utf-8", "replace"), status=status, content_type=JSON_TYPE)


def error(status: int, description: str, fmt: str = "json") -> HttpResponse:
    return respond([{"code": status, "description": description}], fmt, "errors", status)
