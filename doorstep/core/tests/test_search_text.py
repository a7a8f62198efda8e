import pytest

from doorstep.core.search import digits_query, normalise_query, search_text_for

NAMES = ["无锡", "学院路", "静淑苑", "张伟", "清华东路社区", "二里庄"]


@pytest.mark.parametrize("name", NAMES)
def test_simplified_names_are_found_by_traditional_pinyin_and_initials(name):
    import opencc
    from pypinyin import Style, lazy_pinyin

    text = search_text_for(name)
    traditional = opencc.OpenCC("s2t").convert(name)
    full = "".join(lazy_pinyin(name))
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER))
    for query in (name, traditional, full, full.upper(), initials):
        assert normalise_query(query) in text, query


def test_wuxi_examples_from_the_issue():
    text = search_text_for("无锡")
    assert all(normalise_query(q) in text for q in ("無錫", "wuxi", "wx", "Wu Xi"))
    assert normalise_query("无锡") not in search_text_for("苏州")


def test_digit_queries_are_read_as_number_tails():
    assert digits_query("000X") == "000X"
    assert digits_query("13912345678") == "5678"
    assert digits_query("12") is None
    assert digits_query("wuxi") is None
