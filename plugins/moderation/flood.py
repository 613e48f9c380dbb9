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

Why several authors need a *campaign signal*: residents write the same everyday things — «Спасибо,
что предупредили заранее.», «Во сколько будет автобус в субботу?» — under every post, so on a
real page the same words from three people are the normal case, not a bot wave (the first run
on a seeded world queued 41 % of all comments this way, issue 13). What a campaign needs and a
resident does not is a way to reach someone: a link, a phone number, an e-mail, an @mention, a
sales pitch (:func:`campaign_signal`) — or a long text copied word for word, which people do not
write by chance. So the same text from several authors is a flood only with one of those; one
author repeating himself is a flood whatever he says. That also keeps the rule fast where the
index is least help — a popular phrase shares its anchors with hundreds of recent comments —
since the signal is read from the text alone, and without one only the author's own copies are
compared.

Settings: ``flood_min_authors`` (3: the comment and two other authors), ``flood_repeats`` (3: the
comment and two earlier copies by the same author), ``flood_similarity`` (0.8),
``flood_long_words`` (12: from this many words an identical text needs no other signal).
"""

from __future__ import annotations

import heapq
import re
import weakref
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

from .normalize import word_text
from .phrases import Hits
from .spam import contact_in

_TOKEN = re.compile(r"[а-яa-z0-9]+")
_ANCHORS = 3
MIN_WORDS_AUTHORS = 4  # shorter texts («Спасибо!», «+1», «Поддерживаю») are not a flood
MIN_WORDS_REPEAT = 3
#: from this many words the very same words from several authors are a campaign by themselves:
#: people do not type a dozen words alike by chance (the everyday remarks of
#: hub/sandbox/sample_texts.py have 2 to 9, bar one 12-word complaint that names one of 20 streets)
LONG_WORDS = 12


@lru_cache(maxsize=8192)
def _features(text: str) -> tuple[frozenset[str], tuple[int, ...], int]:
    tokens = _TOKEN.findall(word_text(text))
    pairs = set(zip(tokens, tokens[1:], strict=False)) or {(t,) for t in tokens}
    return frozenset(tokens), tuple(heapq.nsmallest(_ANCHORS, map(hash, pairs))), len(tokens)


def campaign_signal(text: str, hits: Hits | None = None) -> str | None:
    """What in the text is a way to reach someone — ``link``, ``email``, ``mention``, ``phone``,
    ``pitch`` — or None. Asked only once a text has already been seen from several authors."""
    contact = contact_in(text)
    if contact:
        return contact
    if hits is not None and (hits.any("commerce") or hits.any("invite") or hits.any("money")):
        return "pitch"
    return None


@dataclass(frozen=True)
class FloodHit:
    rule: str  # flood.same_text | flood.repeat
    count: int  # other authors, or earlier copies by the same author
    #: flood.same_text: what made it a campaign (see :func:`campaign_signal`, or ``long``)
    signal: str | None = None


class _Mirror:
    """The features of one context's ``recent`` deque, kept in step with it."""

    def __init__(self) -> None:
        self.items: deque = deque()  # (tuple from recent, entry or None)
        self.by_anchor: dict[int, list[tuple]] = {}

    def _add(self, item) -> None:
        author, text = item
        words, anchors, _length = _features(text or "")
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

    def __init__(
        self,
        min_authors: int = 3,
        repeats: int = 3,
        similarity: float = 0.8,
        long_words: int = LONG_WORDS,
    ) -> None:
        self.min_authors = max(2, int(min_authors))
        self.repeats = max(2, int(repeats))
        self.similarity = float(similarity)
        self.long_words = max(MIN_WORDS_AUTHORS, int(long_words))
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

    def check(self, author, text: str, recent: deque, hits: Hits | None = None) -> FloodHit | None:
        """``flood.repeat`` when the author repeats himself; ``flood.same_text`` when several
        others wrote (nearly) the same and the text looks like a campaign. ``hits`` is the
        engine's phrase scan of the text, for the sales-pitch signal."""
        if not recent:
            return None
        words, anchors, length = _features(text)
        if len(words) < MIN_WORDS_REPEAT:
            return None
        mirror = self._mirror(recent)
        mirror.sync(recent)
        buckets = [b for b in map(mirror.by_anchor.get, anchors) if b]
        candidates = sum(map(len, buckets))  # an upper bound on the copies there can be
        if candidates < min(self.repeats, self.min_authors) - 1:
            return None  # the everyday case of a text not seen lately: nothing to compare
        # Whether other authors' copies could matter is known from the text alone; for an
        # everyday remark only the author's own earlier ones are compared.
        signal = None
        if len(words) >= MIN_WORDS_AUTHORS and candidates >= self.min_authors - 1:
            signal = campaign_signal(text, hits) or ("long" if length >= self.long_words else None)
        if signal is None and author is None:
            return None
        same, near, identical = self._matches(author, words, buckets, signal is not None)
        if same >= self.repeats - 1:
            return FloodHit("flood.repeat", same)
        others = identical if signal == "long" else near  # a long text: word for word
        if signal and others >= self.min_authors - 1:
            return FloodHit("flood.same_text", others, signal)
        return None

    def _matches(self, author, words, buckets, with_others: bool) -> tuple[int, int, int]:
        """(earlier copies by the author, other authors with a near copy, other authors with
        the very same words); each anonymous copy counts as an author of its own. Without
        ``with_others`` only the author's own copies are compared (the rest count as 0)."""
        seen: set[int] = set()
        near: set = set()
        identical: set = set()
        anonymous = anonymous_identical = same = 0
        for bucket in buckets:
            for entry in bucket:
                if id(entry) in seen:
                    continue
                seen.add(id(entry))
                who, their = entry[0], entry[1]
                mine = author is not None and who == author
                if not (mine or with_others):
                    continue
                inter = len(words & their)
                if not inter or inter < self.similarity * len(words | their):
                    continue
                exact = inter == len(words) == len(their)
                if mine:
                    same += 1
                elif who is None:
                    anonymous += 1
                    anonymous_identical += exact
                else:
                    near.add(who)
                    if exact:
                        identical.add(who)
        return same, len(near) + anonymous, len(identical) + anonymous_identical
