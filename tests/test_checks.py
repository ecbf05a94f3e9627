"""Spam that stands for a word (the audit's checks are tested in test_audit*.py)."""

from govreport.inference.garble import find_spam, stands_for
from govreport.inference.spans import Span


def test_spam_in_the_slot_of_a_word():
    text = (
        "根据《国务院办公厅球迷网印发要点的通知》和《省政府办公厅球迷网印发方案的通知》，球迷网进一步做好。"
    )
    found = find_spam(text)
    assert [text[s:e] for s, e in found] == ["球迷网"] * 3
    words = stands_for(text, [Span(s, e, "GARBLE") for s, e in found])
    assert set(words.values()) == {"关于"}


def test_a_single_odd_word_is_not_spam():
    text = "国务院办公厅关于印发要点的通知。市政府办公厅转发印发方案。"
    assert find_spam(text) == []
