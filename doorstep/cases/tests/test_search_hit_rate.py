"""A case's search text no longer turns the whole message into pinyin (half of what filing
a case cost): the title and place keep pinyin and initials, the message is kept in
simplified characters. Judged on 200 fixed queries drawn from the demo's requests — the
words staff type to find a case: a phrase of the message (some typed in 繁体), a phrase
of the title, the pinyin or initials of the title's first words or of the place — the
hit rate is not lower than with the whole message in pinyin."""

from __future__ import annotations

import random

import opencc
from pypinyin import lazy_pinyin

from doorstep.cases import services
from doorstep.cases.locating import locate
from doorstep.cases.models import Case, matching
from doorstep.core.search import normalise_query, search_text_for
from doorstep.demo.cases.texts import TEXTS

PLACES = ("静淑苑1号楼", "学知园2号楼", "二里庄3号楼", "清华东路17号院", "石油大院8号楼")


def requests() -> list[tuple[str, str, str]]:
    """(title, message, address) of every demo request, as create_case titles them."""
    out = []
    for n, (path, texts) in enumerate(sorted(TEXTS.items())):
        for m, text in enumerate(texts):
            message = f"{text}。{path.split(' › ')[-1]}的问题，请尽快处理"
            out.append((message[:30], message, f"学院路街道{PLACES[(n + m) % len(PLACES)]}"))
    return out


def queries(docs: list[tuple[str, str, str]]) -> list[tuple[str, int]]:
    """200 (query, index of the request it should find), from a fixed seed."""
    rng = random.Random(2026)
    to_traditional = opencc.OpenCC("s2t")
    out = []
    while len(out) < 200:
        index = rng.randrange(len(docs))
        title, message, address = docs[index]
        kind = rng.choice(["message", "message", "message", "traditional", "title", "pinyin"])
        if kind == "pinyin":
            words = rng.choice([title[:4], address[-6:]])
            syllables = lazy_pinyin(words)
            q = "".join(syllables) if rng.random() < 0.6 else "".join(s[0] for s in syllables)
        else:
            source = title if kind == "title" else message
            size = rng.randint(2, 5)
            start = rng.randrange(max(1, len(source) - size))
            q = source[start : start + size]
            if kind == "traditional":
                q = to_traditional.convert(q)
        if q.strip("，。 "):
            out.append((q, index))
    return out


def hit_rate(make) -> float:
    docs = requests()
    texts = [make(*doc) for doc in docs]
    asked = queries(docs)
    return sum(normalise_query(q) in texts[i] for q, i in asked) / len(asked)


def test_the_hit_rate_is_not_lower_than_with_the_whole_message_in_pinyin():
    before = hit_rate(
        lambda title, message, address: search_text_for(f"{title} {message} {address}")
    )
    after = hit_rate(lambda title, message, address: search_text_for(title, address, body=message))

    assert after >= before
    assert after >= 0.95  # the queries are real phrases: nearly all must be found


def test_the_query_set_is_fixed():
    asked = queries(requests())
    assert len(asked) == 200
    assert asked == queries(requests())


def test_a_case_is_found_by_a_phrase_of_its_message_in_either_script_and_its_title_in_pinyin(
    cw,
):
    message = "厨房水管接口漏水，楼下邻居天花板已经渗水。请物业尽快派人来看看，谢谢"
    case = services.create_case(
        actor=cw.personas["resident"],
        category=cw.repair,
        description=message,
        location=locate(building=cw.world.building_a),
    )

    for query in ("天花板", "天花闆", "鄰居天花板", "chufang", "cfsg", "jingshuyuan", "派人来看"):
        assert Case.objects.filter(matching(query)).filter(pk=case.pk).exists(), query
    assert not Case.objects.filter(matching("xiexie")).exists()  # the body has no pinyin
