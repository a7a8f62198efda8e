"""Chinese resident ID-card numbers (GB 11643-1999): checks before anything is stored."""

from __future__ import annotations

import datetime as dt
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PATTERN = re.compile(r"^\d{17}[\dX]$")


class IdCardError(ValueError):
    """The number is not a valid 18-digit ID-card number; the message is for people."""


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalise(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def validate(value: str) -> str:
    """Return the normalised number or raise IdCardError with a Chinese message."""
    number = normalise(value)
    if not _PATTERN.match(number):
        raise IdCardError("身份证号应为18位，最后一位可以是数字或X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdCardError("身份证号中的出生日期不存在") from exc
    if birth > dt.date.today() or birth.year < 1890:
        raise IdCardError("身份证号中的出生日期不合理")
    if check_digit(number[:17]) != number[17]:
        raise IdCardError("身份证号校验位错误")
    return number


def birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def gender(number: str) -> str:
    return "M" if int(number[16]) % 2 else "F"


PHONE_PATTERN = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def validate_phone(value: str) -> str:
    number = value.strip().replace(" ", "")
    if not PHONE_PATTERN.match(number):
        raise ValueError("手机号应为11位（以1开头），座机请写区号，如 010-12345678")
    return number
