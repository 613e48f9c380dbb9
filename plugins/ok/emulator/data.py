"""In-memory state of the OK emulator and its deterministic generator.

Everything comes from one ``random.Random(seed)`` so two emulators built with the
same arguments hold identical groups — tests and benchmarks compare snapshots across
runs. Topic ids come from one global counter assigned in creation-time order (OK ids
grow with time); comment ids are opaque base64 strings shaped like the real fixture
(notes §4.1), carrying a global sequence number that also orders a discussion.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from . import texts as tx

DAY_MS = 86_400_000
RESIDENTS = 600
RESIDENT_BASE = 5_000_000_000_000  # resident uids: RESIDENT_BASE + k
ADMIN_BASE = 5_900_000_000_000  # token owners: ADMIN_BASE + token index + 1
GROUP_BASE = 70_000_001_234_567  # group ids: GROUP_BASE + k (14 digits, like real OK ids)
TOPIC_BASE = 155_812_345_678_901
BIG_TOPIC_COMMENTS = 250
MSK = timezone(timedelta(hours=3))  # the comment ``date`` string is Moscow time (notes §4.1)


def msk_date(ms: int) -> str:
    """``"YYYY-MM-DD HH:MM:SS"`` in Moscow time, as OK writes comment dates."""
    return datetime.fromtimestamp(ms / 1000, MSK).strftime("%Y-%m-%d %H:%M:%S")


def comment_id(created_ms: int, seq: int, topic_id: str) -> str:
    """Opaque id like the real fixture: base64 of ``ms:-n:ms:topic:1``."""
    raw = f"{created_ms}:-{seq}:{created_ms}:{topic_id}:1"
    return base64.b64encode(raw.encode("ascii")).decode("ascii")


@dataclass(slots=True)
class Resident:
    """An OK user who comments on municipal groups."""

    uid: int
    first_name: str
    name: str
    spammer: bool = False


@dataclass(slots=True)
class Comment:
    """A flat discussion comment; a reply only points at its target (OK has no threads)."""

    id: str
    seq: int  # global, grows with time: orders a discussion and backs the anchors
    topic_id: str
    author_id: int  # resident uid, or the group id for comments "from the group"
    by_group: bool
    date_ms: int
    text: str
    likes: int = 0
    reply_to: str | None = None
    reply_to_author: int | None = None
    deleted: bool = False
    deleted_by: str | None = None  # "api" (deleteDiscussionComment) or "ui" (moderator in OK)


@dataclass(slots=True)
class Topic:
    """A group media topic with its discussion (comments in chronological order)."""

    id: str
    group_id: int
    created_ms: int
    text: str
    extra_media: list[dict[str, Any]] = field(default_factory=list)
    likes: int = 0
    reshares: int = 0
    sticky: bool = False
    edited_ms: int | None = None  # inferred: OK's edit marker is not documented
    deleted: bool = False
    author_uid: int | None = None  # set when posted as a user (onBehalfOfGroup "false")
    comments: list[Comment] = field(default_factory=list)
    by_id: dict[str, Comment] = field(default_factory=dict)

    @property
    def num(self) -> int:
        return int(self.id)

    def add(self, comment: Comment) -> None:
        self.comments.append(comment)
        self.by_id[comment.id] = comment

    def live(self) -> list[Comment]:
        return [c for c in self.comments if not c.deleted]

    def live_count(self) -> int:
        return sum(1 for c in self.comments if not c.deleted)


@dataclass
class Group:
    """A municipal OK group: its card, topics and black list."""

    id: int
    name: str
    shortname: str
    place: str
    description: str
    address: str
    phone: str | None  # None: not filled in (completeness checks must notice)
    email: str
    homepage_url: str | None
    members_count: int
    created_ms: int
    photo_id: int | None  # None: no avatar, no main photo
    cover_key: str | None  # None: no cover
    topics: dict[str, Topic] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)

    def ordered_topics(self) -> tuple[Topic | None, list[Topic]]:
        """(pinned topic or None, the other live topics newest first)."""
        live = [t for t in self.topics.values() if not t.deleted]
        sticky = next((t for t in live if t.sticky), None)
        rest = sorted((t for t in live if t is not sticky), key=lambda t: t.num, reverse=True)
        return sticky, rest


@dataclass
class OkState:
    """All groups and residents; mutated only under ``OkEmulator.lock``."""

    seed: int
    now_ms: int
    groups: dict[int, Group]
    residents: dict[int, Resident]
    resident_ids: list[int]
    spammer_ids: list[int]
    topics: dict[str, Topic] = field(default_factory=dict)  # every topic by id
    admins: dict[int, str] = field(default_factory=dict)  # token owners: uid -> name
    uploads: dict[str, Any] = field(default_factory=dict)  # photo upload sessions by apiToken
    photo_tokens: dict[str, Any] = field(default_factory=dict)  # uploaded photos by token
    next_topic: int = TOPIC_BASE
    next_seq: int = 10_000

    def new_topic_id(self, rng: random.Random) -> str:
        self.next_topic += rng.randint(1, 4000)  # other groups' topics take the ids between
        return str(self.next_topic)

    def new_comment(
        self,
        topic: Topic,
        author_id: int,
        by_group: bool,
        date_ms: int,
        text: str,
        likes: int = 0,
        target: Comment | None = None,
    ) -> Comment:
        """Append a comment to ``topic``, numbering it from the global sequence."""
        self.next_seq += 1
        comment = Comment(
            comment_id(date_ms, self.next_seq, topic.id),
            self.next_seq,
            topic.id,
            author_id,
            by_group,
            date_ms,
            text,
            likes,
        )
        if target is not None:
            comment.reply_to, comment.reply_to_author = target.id, target.author_id
        topic.add(comment)
        return comment

    def snapshot(self) -> dict[str, Any]:
        """JSON ground truth for ``GET /_emulator/state``."""
        out: dict[str, Any] = {}
        for gid, group in self.groups.items():
            topics: dict[str, Any] = {}
            deleted_topics: list[str] = []
            deleted_comments: list[str] = []
            for tid, topic in group.topics.items():
                deleted_comments += [c.id for c in topic.comments if c.deleted]
                if topic.deleted:
                    deleted_topics.append(tid)
                else:
                    topics[tid] = {"comments": sorted(c.id for c in topic.live())}
            out[str(gid)] = {
                "topics": topics,
                "deleted_comments": sorted(deleted_comments),
                "deleted_topics": sorted(deleted_topics, key=int),
                "blocked": sorted(group.blocked),
            }
        return {"groups": out}


# --------------------------------------------------------------------------- generator


def base_now_ms(now: float | None, wall_clock: float) -> int:
    """Data time base: explicit ``now`` or the wall clock floored to the hour.

    Flooring keeps two emulators built seconds apart identical (same seed ⇒ same
    snapshot) while the newest topic still lands within the last day.
    """
    if now is not None:
        return int(now * 1000)
    return int(wall_clock) // 3600 * 3600 * 1000


def generate_state(
    *,
    seed: int = 1,
    groups: int = 3,
    topics: int = 50,
    comments: int = 20,
    big_topic: bool = False,
    now_ms: int,
) -> OkState:
    """Build the whole emulator state deterministically from ``seed`` and ``now_ms``."""
    rng = random.Random(seed)
    residents = _make_residents(rng)
    ids = list(residents)
    state = OkState(
        seed=seed,
        now_ms=now_ms,
        groups={},
        residents=residents,
        resident_ids=ids,
        spammer_ids=[uid for uid in ids if residents[uid].spammer],
    )
    plans: list[tuple[Topic, int, bool]] = []  # (topic, live comments, big?)
    for k in range(groups):
        group = _make_group(rng, k, now_ms)
        state.groups[group.id] = group
        plans += _plan_topics(rng, group, topics, comments, big_topic, now_ms)
        pool = state.spammer_ids or ids
        group.blocked.update(rng.sample(pool, min(len(pool), rng.randint(1, 2))))
    # Ids are handed out in creation order across all groups, as OK's global ids are.
    plans.sort(key=lambda p: p[0].created_ms)
    for topic, _, _ in plans:
        topic.id = state.new_topic_id(rng)
        state.groups[topic.group_id].topics[topic.id] = topic
        state.topics[topic.id] = topic
    regular: dict[int, list[Topic]] = {gid: [] for gid in state.groups}
    for topic, _, big in plans:
        if not big:
            regular[topic.group_id].append(topic)
    for group_topics in regular.values():  # pinned: one of the older regular topics
        if group_topics:
            rng.choice(group_topics[: max(1, len(group_topics) // 2)]).sticky = True
    for topic, n_comments, _ in plans:
        _populate_comments(rng, state, state.groups[topic.group_id], topic, n_comments)
    return state


def _make_residents(rng: random.Random) -> dict[int, Resident]:
    out: dict[int, Resident] = {}
    for k in range(RESIDENTS):
        female = rng.random() < 0.55
        first = rng.choice(tx.FEMALE_FIRST if female else tx.MALE_FIRST)
        last = rng.choice(tx.SURNAMES)
        if female:
            last = tx.female_surname(last)
        uid = RESIDENT_BASE + 1 + k
        out[uid] = Resident(uid, first, f"{first} {last}", spammer=rng.random() < 0.03)
    return out


def _make_group(rng: random.Random, k: int, now_ms: int) -> Group:
    name, shortname, place, region = tx.GROUP_TEMPLATES[k % len(tx.GROUP_TEMPLATES)]
    cycle = k // len(tx.GROUP_TEMPLATES)
    if cycle:
        name, shortname = f"{name} №{cycle + 1}", f"{shortname}{cycle + 1}"
    street = rng.choice(tx.STREETS)
    phone = f"+7 ({rng.randint(38500, 38599)}) {rng.randint(2, 9)}-{rng.randint(10, 99)}-"
    phone += f"{rng.randint(10, 99)}"
    return Group(
        id=GROUP_BASE + k,
        name=name,
        shortname=shortname,
        place=place,
        description=f"Официальная группа: {name}. Новости, объявления, ответы на обращения "
        f"жителей ({place}).",
        address=f"{region}, {place}, ул. {street}, {rng.randint(1, 60)}",
        phone=None if rng.random() < 0.25 else phone,
        email=f"{shortname}@mail.ru",
        homepage_url=None if rng.random() < 0.3 else f"https://{shortname}.gosuslugi.ru",
        members_count=rng.randint(120, 18_000),
        created_ms=now_ms - rng.randint(400, 4000) * DAY_MS,
        photo_id=None if rng.random() < 0.15 else rng.randint(900_000_000_000, 999_999_999_999),
        cover_key=None if rng.random() < 0.35 else f"{rng.getrandbits(48):012x}",
    )


def topic_text(rng: random.Random, group: Group) -> str:
    return tx.fill(rng.choice(tx.POST_TEMPLATES), rng, group.place)


def _extra_media(rng: random.Random, group: Group) -> list[dict[str, Any]]:
    roll = rng.random()
    if roll < 0.35:
        refs = [
            f"group_photo:{rng.randint(900_000_000_000, 999_999_999_999)}"
            for _ in range(rng.randint(1, 3))
        ]
        return [{"type": "photo", "photo_refs": refs}]
    if roll < 0.5:
        site = group.homepage_url or "https://www.gosuslugi.ru"
        url = f"{site}/news/{rng.randint(100, 999)}"
        return [{"type": "link", "url": url, "title": rng.choice(tx.LINK_TITLES)}]
    return []


def _plan_topics(
    rng: random.Random,
    group: Group,
    n_topics: int,
    n_comments: int,
    big_topic: bool,
    now_ms: int,
) -> list[tuple[Topic, int, bool]]:
    """Topics (without ids yet) spread over the last ~60 days, with their comment counts."""
    dates = sorted(rng.randint(now_ms - 60 * DAY_MS, now_ms - DAY_MS) for _ in range(n_topics))
    if dates:
        dates[-1] = now_ms - rng.randint(1800_000, 20 * 3600_000)
    specs = [(d, n_comments, False) for d in dates]
    if big_topic:
        specs.append((now_ms - 2 * DAY_MS - rng.randint(0, 3600_000), BIG_TOPIC_COMMENTS, True))
    out: list[tuple[Topic, int, bool]] = []
    for date, count, big in specs:
        topic = Topic("0", group.id, date, tx.BIG_TOPIC_TEXT if big else topic_text(rng, group))
        topic.extra_media = [] if big else _extra_media(rng, group)
        topic.likes = rng.randint(2, max(3, group.members_count // 25))
        topic.reshares = rng.randint(0, topic.likes // 6 + 1)
        if not big and rng.random() < 0.12:
            topic.edited_ms = min(now_ms, date + rng.randint(300_000, 2 * DAY_MS))
            topic.text += rng.choice(tx.EDIT_SUFFIXES)
        out.append((topic, count, big))
    return out


def resident_comment(rng: random.Random, state: OkState, group: Group) -> tuple[int, str]:
    """(author uid, text) of a resident's own comment: questions, thanks, some spam/rudeness."""
    roll = rng.random()
    if roll < 0.04 and state.spammer_ids:
        return rng.choice(state.spammer_ids), rng.choice(tx.SPAM)
    author = rng.choice(state.resident_ids)
    if roll < 0.07:
        return author, rng.choice(tx.RUDE)
    pool = tx.QUESTIONS if roll < 0.45 else tx.THANKS if roll < 0.75 else tx.COMPLAINTS
    template = rng.choice(pool)
    return author, tx.fill(template, rng, group.place) if "{" in template else template


def reply_comment(
    rng: random.Random, state: OkState, group: Group, target: Comment
) -> tuple[int, bool, str]:
    """(author, by_group, text) of a reply; about a third come from the group itself."""
    if rng.random() < 0.35 and not target.by_group:
        author, by_group, text = group.id, True, rng.choice(tx.OFFICIAL_REPLIES)
    else:
        author, by_group = rng.choice(state.resident_ids), False
        template = rng.choice(tx.RESIDENT_REPLIES)
        text = tx.fill(template, rng, group.place) if "{" in template else template
    resident = state.residents.get(target.author_id)
    if resident is not None and rng.random() < 0.6:  # OK replies usually start with the name
        text = f"{resident.first_name}, {text[0].lower()}{text[1:]}"
    return author, by_group, text


def _populate_comments(
    rng: random.Random, state: OkState, group: Group, topic: Topic, n_live: int
) -> None:
    """Exactly ``n_live`` live comments in time order; sometimes one spam already removed."""
    removed_at = rng.randint(0, n_live) if n_live and rng.random() < 0.08 else -1
    total = n_live + (removed_at >= 0)
    lo = topic.created_ms + 60_000
    hi = max(lo + 1, min(state.now_ms - 30_000, topic.created_ms + 3 * DAY_MS))
    dates = sorted(rng.randint(lo, hi) for _ in range(total))
    live: list[Comment] = []
    for i, date in enumerate(dates):
        likes = int(rng.expovariate(0.5))
        if i == removed_at:
            author = rng.choice(state.spammer_ids or state.resident_ids)
            spam = state.new_comment(topic, author, False, date, rng.choice(tx.SPAM), likes)
            spam.deleted, spam.deleted_by = True, "ui"
        elif live and rng.random() < 0.3:
            target = live[-1] if rng.random() < 0.5 else rng.choice(live)
            author, by_group, text = reply_comment(rng, state, group, target)
            live.append(state.new_comment(topic, author, by_group, date, text, likes, target))
        else:
            author, text = resident_comment(rng, state, group)
            live.append(state.new_comment(topic, author, False, date, text, likes))
