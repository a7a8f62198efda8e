"""select_options: the markup of a select's options, escaped, the chosen one selected."""

from __future__ import annotations

from doorstep.core.options import select_options


def test_options_are_escaped_and_only_the_chosen_one_is_selected():
    html = select_options([(1, "静淑苑1号楼"), (12, '<b>"楼"</b>'), ("a&b", "甲")], "12")
    assert html == (
        '<option value="1">静淑苑1号楼</option>'
        '<option value="12" selected>&lt;b&gt;&quot;楼&quot;&lt;/b&gt;</option>'
        '<option value="a&amp;b">甲</option>'
    )
    assert "selected" not in select_options([(1, "甲")], "") and select_options([], "1") == ""
