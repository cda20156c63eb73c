"""The phrase book (scheduler/phrases.py): both languages of every phrase carry the same
facts, and the Chinese ones are Chinese (issue 13 item 6).

The sentences themselves are read in context by tests/test_explain.py (the claims of a zh
and an en plan's explanation, checked against the schedule), tests/test_words.py and
tests/test_cli.py; here, every phrase, also those that the plans there do not reach.
"""

from __future__ import annotations

import re
from string import Formatter

import pytest

from scheduler.phrases import PHRASES, lag_text, phrasebook, subject, table_headers

# Latin words a Chinese phrase may keep: an option, the seconds' unit, the id column, the
# names of the files written.
KEPT_LATIN = {"effort", "s", "id", "schedule", "json", "calendar", "csv", "xlsx", "gantt"}
KEPT_LATIN |= {"png", "html", "changes"}
KEPT_LATIN |= {"holidays", "closed"}  # the library the estimate is from; `closed` days
# Phrases of facts and punctuation only, in Chinese as in English (or with a space for "is").
NO_WORDS = {"seconds", "fix", "busy_task", "person_taken", "reason", "clauses", "list", "tasks"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_both_languages_of_a_phrase_take_the_same_facts(key):
    phrase = PHRASES[key]
    assert _fields(phrase.en) == _fields(phrase.zh), key


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_a_chinese_phrase_has_no_english_words(key):
    # (fields, command-line options and plan keys in backticks are the tool's own words)
    text = re.sub(r"\{\w+\}|--[\w-]+|`\w+`", "", PHRASES[key].zh)
    latin = set(re.findall(r"[A-Za-z]+", text)) - KEPT_LATIN
    assert not latin, (key, latin)
    if key not in NO_WORDS:
        assert re.search(r"[\u4e00-\u9fff：；，、（]", PHRASES[key].zh), key


def test_a_phrase_is_filled_in_the_plan_language():
    zh, en = phrasebook("zh-CN"), phrasebook("en")
    assert zh("late_total", tasks=8, days=28) == "延误：8 项任务，共 28 天"
    assert en("late_total", tasks=8, days=28) == "Late: 8 task(s), 28 day(s) in total"
    assert zh("fix_late", days=4) == "仍延误 4 天"
    assert en("fix_late", days=4) == "4 late day(s)"
    assert table_headers("staff_headers", "zh")[0] == "人员"
    assert table_headers("staff_headers", "en") == ["person", "id", "roles", "tasks", "person-days"]


def test_lags_and_subjects_read_as_each_language_writes_them():
    assert lag_text("2wd", "en") == "2wd" and lag_text("2wd", "zh") == "2 个工作日"
    assert lag_text("3d", "zh") == "3 天"
    assert subject("设置价格与优惠券", "zh") == "设置价格与优惠券"
    assert subject("设置价格与优惠券 (wk/listing)", "zh") == "设置价格与优惠券 (wk/listing) "
    assert subject("Set up prices (wk/listing)", "en") == "Set up prices (wk/listing)"
