"""``RecentGroupings``: the same questions are grouped once; a new or purged question, or a
range not seen lately, is grouped again."""

from __future__ import annotations

from typing import List

from assistant.console.topic_cache import RecentGroupings
from assistant.console.topics import TopicGrouper, TopicVocabulary, UnansweredQuestion


def questions(*texts: str, first_id: int = 1) -> List[UnansweredQuestion]:
    return [
        UnansweredQuestion(
            event_id=first_id + i, conversation_id=first_id + i, at=1.0 + i, question=t
        )
        for i, t in enumerate(texts)
    ]


def test_the_same_questions_are_grouped_once_and_a_new_one_groups_again() -> None:
    cache = RecentGroupings(TopicGrouper(TopicVocabulary.load()), keep=2)
    asked = questions("where do i park", "parking??", "is there wifi in the infusion room")

    first = cache.group(asked)
    again = cache.group(list(asked))

    assert again == first and cache.computed == 1
    assert sorted(g.count for g in first) == [1, 2]  # parking twice, wifi once
    more = asked + questions("wifi password pls", first_id=10)
    regrouped = cache.group(more)
    assert cache.computed == 2
    assert sorted(g.count for g in regrouped) == [2, 2]
    cache.group(asked[:1])  # a third set: the oldest (the first three) is forgotten
    cache.group(asked)
    assert cache.computed == 4
