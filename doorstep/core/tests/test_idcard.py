import pytest
from hypothesis import given
from hypothesis import strategies as st

from doorstep.core import idcard
from doorstep.core.masking import mask_id_card, mask_phone


def test_a_valid_number_passes_and_is_normalised():
    assert idcard.validate(" 11010819850307000x ") == "11010819850307000X"


@pytest.mark.parametrize(
    "value, message",
    [
        ("110108198503070001", "校验位错误"),
        ("1101081985030700", "18位"),
        ("110108198502300006", "出生日期不存在"),
        ("11010830000101000X", "出生日期不合理"),
    ],
)
def test_bad_numbers_are_refused_with_a_chinese_reason(value, message):
    with pytest.raises(idcard.IdCardError, match=message):
        idcard.validate(value)


@given(st.from_regex(r"\A110108(19[5-9]\d|200\d)(0[1-9]|1[0-2])(0[1-9]|1\d|2[0-8])\d{3}\Z"))
def test_any_number_with_its_check_digit_validates(first17):
    number = first17 + idcard.check_digit(first17)
    assert idcard.validate(number) == number
    wrong = "0" if number[-1] != "0" else "1"
    with pytest.raises(idcard.IdCardError):
        idcard.validate(number[:17] + wrong)


def test_masks_keep_only_prefix_and_last_four():
    assert mask_id_card("11010819850307000X") == "110***********000X"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_id_card("") == ""
