"""Floods: the same (or nearly the same) text from several authors, or repeated by one author.

Why an index instead of a scan: ``context.recent`` holds up to 500 recent comments, and
comparing each new comment with all of them would cost more than everything else the engine does.
So the detector keeps, per context, a mirror of ``recent`` with each text's word set and three
*anchors* (the three smallest hashes of its word pairs — a bottom-k MinHash; pairs rather than
words because «на», «в», «администрации» are in half the comments): near-duplicates with a
Jaccard similarity ≥ 0.8 share an anchor with high probability, and only texts that share one
are compared exactly. The mirror follows the deque incrementally (the caller only appends,
through :meth:`ModerationContext.remember`; the deque drops the oldest by itself), so a call
costs O(1) on average. The detector never writes to the context.

Settings: ``flood_min_authors`` (3: the comment and two other authors), ``flood_repeats`` (3: the
comment and two earlier copies by the same author), ``flood_similarity`` (0.8).
"""

from __future__ import annotations

import heapq
import re
import weakref
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

from .normalize import word_text

_TOKEN = re.compile(r"[а-яa-z0-9]+")
_ANCHORS = 3
MIN_WORDS_AUTHORS = 4  # shorter texts («Спасибо!», «+1», «Поддерживаю») are not a flood
MIN_WORDS_REPEAT = 3


@lru_cache(maxsize=8192)
def _features(text: str) -> tuple[frozenset[str], tuple[int, ...]]:
    tokens = _TOKEN.findall(word_text(text))
    pairs = set(zip(tokens, tokens[1:], strict=False)) or {(t,) for t in tokens}
    return frozenset(tokens), tuple(heapq.nsmallest(_ANCHORS, map(hash, pairs)))


@dataclass(frozen=True)
class FloodHit:
    rule: str  # flood.same_text | flood.repeat
    count: int  # other authors, or earlier copies by the same author


class _Mirror:
    """The features of one context's ``recent`` deque, kept in step with it."""

    def __init__(self) -> None:
        self.items: deque = deque()  # (tuple from recent, entry or None)
        self.by_anchor: dict[int, list[tuple]] = {}

    def _add(self, item) -> None:
        author, text = item
        words, anchors = _features(text or "")
        # (author, words, anchors): a plain tuple, built for every comment the caller remembers
        entry = (author, words, anchors) if len(words) >= MIN_WORDS_REPEAT else None
        self.items.append((item, entry))
        if entry:
            for a in anchors:
                self.by_anchor.setdefault(a, []).append(entry)

    def _drop(self) -> None:
        _, entry = self.items.popleft()
        if entry:
            for a in entry[2]:
                bucket = self.by_anchor.get(a)
                if bucket:
                    bucket.remove(entry)
                    if not bucket:
                        del self.by_anchor[a]

    def sync(self, recent: deque) -> None:
        if not recent:
            if self.items:
                self.__init__()
            return
        items = self.items
        if items and len(recent) > 1 and recent[-2] is items[-1][0]:
            # the everyday case: the caller remembered exactly one comment since the last call
            self._add(recent[-1])
            if len(items) > len(recent):
                self._drop()
            return
        if items and recent[-1] is items[-1][0] and len(items) == len(recent):
            return
        new = []
        last = self.items[-1][0] if self.items else None
        found = last is None
        for item in reversed(recent):
            if item is last:
                found = True
                break
            new.append(item)
        expected = len(self.items) + len(new)
        if (
            not found
            or (recent.maxlen is None or len(recent) < recent.maxlen)
            and (expected != len(recent))
        ):
            self.__init__()
            new = list(reversed(recent))
        for item in reversed(new):
            self._add(item)
        while len(self.items) > len(recent):
            self._drop()


class Flood:
    """Flags a comment that repeats recent ones; reads ``context.recent`` only."""

    def __init__(self, min_authors: int = 3, repeats: int = 3, similarity: float = 0.8) -> None:
        self.min_authors = max(2, int(min_authors))
        self.repeats = max(2, int(repeats))
        self.similarity = float(similarity)
        # id(deque) -> (weak reference to it, mirror); a deque is unhashable, so no WeakKeyDict
        self._mirrors: dict[int, tuple[weakref.ref, _Mirror]] = {}

    def _mirror(self, recent: deque) -> _Mirror:
        key = id(recent)
        found = self._mirrors.get(key)
        if found is not None and found[0]() is recent:
            return found[1]
        mirror = _Mirror()
        self._mirrors[key] = (weakref.ref(recent), mirror)
        weakref.finalize(recent, self._mirrors.pop, key, None)
        return mirror

    def check(self, author, text: str, recent: deque) -> FloodHit | None:
        if not recent:
            return None
        words, anchors = _features(text)
        if len(words) < MIN_WORDS_REPEAT:
            return None
        mirror = self._mirror(recent)
        mirror.sync(recent)
        seen: set[int] = set()
        others: set = set()
        anonymous = 0
        same = 0
        for a in anchors:
            for entry in mirror.by_anchor.get(a, ()):
                if id(entry) in seen:
                    continue
                seen.add(id(entry))
                who, their = entry[0], entry[1]
                inter = len(words & their)
                if not inter or inter < self.similarity * len(words | their):
                    continue
                if author is not None and who == author:
                    same += 1
                elif who is None:
                    anonymous += 1
                else:
                    others.add(who)
        if same >= self.repeats - 1:
            return FloodHit("flood.repeat", same)
        n_others = len(others) + anonymous
        if len(words) >= MIN_WORDS_AUTHORS and n_others >= self.min_authors - 1:
            return FloodHit("flood.same_text", n_others)
        return None
