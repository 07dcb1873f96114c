"""The groupings of the last few sets of unanswered questions, so a dashboard reload, or the
Unanswered page after the dashboard, does not group the same questions again: thousands of
questions take seconds of CPU (``bench.topics_timing``). A set is known by its questions'
event ids, which never change text, so a new question, or one purged, makes a new set."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import List, Sequence, Tuple

from assistant.console.topics import TopicGroup, TopicGrouper, UnansweredQuestion

KEEP = 8  # sets remembered: a few date ranges in use at once


class RecentGroupings:
    def __init__(self, grouper: TopicGrouper, keep: int = KEEP) -> None:
        self.grouper = grouper
        self.keep = keep
        self._groups: OrderedDict[Tuple[int, ...], List[TopicGroup]] = OrderedDict()
        self._lock = threading.Lock()  # called from worker threads
        self.computed = 0  # how many sets were grouped (not found here)

    def group(self, questions: Sequence[UnansweredQuestion]) -> List[TopicGroup]:
        key = tuple(q.event_id for q in questions)
        with self._lock:
            if key in self._groups:
                self._groups.move_to_end(key)
                return list(self._groups[key])
        groups = self.grouper.group(questions)  # outside the lock: two ranges group at once
        with self._lock:
            self.computed += 1
            self._groups[key] = groups
            self._groups.move_to_end(key)
            while len(self._groups) > self.keep:
                self._groups.popitem(last=False)
        return list(groups)
