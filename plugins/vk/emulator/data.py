"""In-memory state of the VK emulator and its deterministic generator.

Everything is derived from one ``random.Random(seed)`` so that two emulators built
with the same arguments hold identical walls — tests and benchmarks compare
snapshots across runs. Post ids and comment ids share one counter per wall, as on
VK, so both increase with time and never collide on the same owner.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from . import texts as tx
from .longpoll import EventLog

DAY = 86400
RESIDENTS = 500
BIG_POST_TOP_LEVEL = 130
BIG_POST_THREAD = 15


@dataclass(slots=True)
class Resident:
    """A VK user who comments on municipal walls (or moderates them)."""

    id: int
    first_name: str
    last_name: str
    sex: int  # 1 = female, 2 = male (VK convention)
    screen_name: str
    spammer: bool = False


@dataclass(slots=True)
class Comment:
    """A wall comment; replies point to their top-level comment via ``root_id``."""

    id: int
    post_id: int
    from_id: int
    date: int
    text: str
    root_id: int | None = None
    reply_to_user: int | None = None
    reply_to_comment: int | None = None
    likes: int = 0
    replies: list[int] = field(default_factory=list)
    deleted: bool = False
    deleted_by: str | None = None  # "api" (wall.deleteComment) or "ui" (moderator in VK UI)
    deleted_at: int | None = None  # when; None for one deleted before the emulator started


@dataclass(slots=True)
class Post:
    """A community wall post; ``roots`` lists its top-level comment ids in id order."""

    id: int
    owner_id: int
    from_id: int
    created_by: int
    date: int
    text: str
    attachments: list[dict[str, Any]] = field(default_factory=list)
    likes: int = 0
    reposts: int = 0
    views: int = 0
    source: str = "vk"
    edited: int | None = None
    is_pinned: bool = False
    deleted: bool = False
    comments_closed: bool = False  # wall.closeComments: new comments are refused (error 213)
    roots: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Ban:
    """A community ban (``groups.ban``); ``end_date`` 0 means forever."""

    owner_id: int
    admin_id: int
    date: int
    end_date: int
    reason: int
    comment: str
    comment_visible: bool

    def active(self, now: float) -> bool:
        return self.end_date == 0 or self.end_date > now


@dataclass
class Community:
    """A municipal community with its wall, comments and ban list."""

    id: int
    name: str
    screen_name: str
    type: str
    activity: str
    status: str
    place: str
    description: str
    site: str
    contacts: list[dict[str, Any]]
    addresses: dict[str, Any]
    members_count: int
    verified: int
    wall: int
    admin_id: int
    photo_key: str | None  # None = no avatar
    cover: dict[str, Any] | None  # None = no cover
    is_closed: int = 0
    deactivated: str | None = None
    posts: dict[int, Post] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    bans: dict[int, Ban] = field(default_factory=dict)
    next_id: int = 1
    next_photo_id: int = 457239017
    #: what the publishing methods keep (``publish``): ``guid`` → post id,
    #: (post id, ``guid``) → comment id, saved wall photos by id, uploads by their key
    post_guids: dict[str, int] = field(default_factory=dict)
    comment_guids: dict[tuple[int, str], int] = field(default_factory=dict)
    wall_photos: dict[int, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Bots Long Poll events of this community (mutations append; generated history has none)
    events: EventLog = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.events = EventLog(self.id)

    def new_item_id(self) -> int:
        """Next id of the wall's shared post/comment sequence."""
        value = self.next_id
        self.next_id += 1
        return value

    @property
    def pinned_post_id(self) -> int | None:
        for post in self.posts.values():
            if post.is_pinned and not post.deleted:
                return post.id
        return None

    def live_comment_count(self, post: Post) -> int:
        """Non-deleted comments of a post, replies included (``comments.count``)."""
        total = 0
        comments = self.comments
        for root_id in post.roots:
            root = comments[root_id]
            if not root.deleted:
                total += 1
            for reply_id in root.replies:
                if not comments[reply_id].deleted:
                    total += 1
        return total


@dataclass
class EmulatorState:
    """All communities and residents; mutated only under ``VkEmulator.lock``."""

    seed: int
    now: int
    communities: dict[int, Community]
    residents: dict[int, Resident]
    resident_ids: list[int]
    spammer_ids: list[int]

    def snapshot(self, now: float) -> dict[str, Any]:
        """JSON view used by ``GET /_emulator/state`` to compare against a synced copy."""
        out: dict[str, Any] = {}
        for gid, com in self.communities.items():
            posts = {}
            deleted_posts = []
            for pid, post in com.posts.items():
                if post.deleted:
                    deleted_posts.append(pid)
                    continue
                live = [
                    cid
                    for root in post.roots
                    for cid in (root, *com.comments[root].replies)
                    if not com.comments[cid].deleted
                ]
                posts[str(pid)] = {"edited": post.edited, "comments": sorted(live)}
            deleted = sorted(c.id for c in com.comments.values() if c.deleted)
            bans = [
                {
                    "user_id": b.owner_id,
                    "end_date": b.end_date,
                    "reason": b.reason,
                    "comment": b.comment,
                }
                for b in sorted(com.bans.values(), key=lambda b: b.owner_id)
                if b.active(now)
            ]
            out[str(gid)] = {
                "posts": posts,
                "deleted_posts": deleted_posts,
                "deleted_comments": deleted,
                "deleted_by": {str(cid): com.comments[cid].deleted_by for cid in deleted},
                "bans": bans,
                "pinned_post": com.pinned_post_id,
            }
        return {"communities": out}


# --------------------------------------------------------------------------- generator


def base_now(now: float | None, wall_clock: float) -> int:
    """Data timestamp base: explicit ``now`` or the wall clock floored to the hour.

    Flooring keeps two emulators built a few seconds apart identical (same seed ⇒
    same snapshot) while the newest post still lands within the last day.
    """
    if now is not None:
        return int(now)
    return int(wall_clock) // 3600 * 3600


def generate_state(
    *,
    seed: int = 1,
    communities: int = 3,
    posts: int = 50,
    comments: int = 20,
    big_post: bool = False,
    now: int,
) -> EmulatorState:
    """Build the whole emulator state deterministically from ``seed`` and ``now``."""
    rng = random.Random(seed)
    residents = _make_residents(rng, RESIDENTS)
    ids = list(residents)
    spammers = [rid for rid in ids if residents[rid].spammer]
    state = EmulatorState(
        seed=seed,
        now=now,
        communities={},
        residents=residents,
        resident_ids=ids,
        spammer_ids=spammers,
    )
    for k in range(communities):
        com = _make_community(rng, k, communities, ids)
        state.communities[com.id] = com
        _populate_wall(rng, state, com, posts, comments, big_post)
        _make_bans(rng, state, com)
    return state


def _make_residents(rng: random.Random, n: int) -> dict[int, Resident]:
    out: dict[int, Resident] = {}
    while len(out) < n:
        # ~6 % of accounts are recent "LongID" accounts above 2**31.
        uid = (
            rng.randint(2**31 + 1, 9_000_000_000)
            if rng.random() < 0.06
            else rng.randint(100_000, 850_000_000)
        )
        if uid in out:
            continue
        female = rng.random() < 0.55
        first = rng.choice(tx.FEMALE_FIRST if female else tx.MALE_FIRST)
        last = rng.choice(tx.SURNAMES)
        if female:
            last = tx.female_surname(last)
        screen = (
            f"{tx.translit(first)}.{tx.translit(last)}{rng.randint(1, 99)}"
            if rng.random() < 0.3
            else f"id{uid}"
        )
        out[uid] = Resident(
            uid, first, last, 1 if female else 2, screen, spammer=rng.random() < 0.03
        )
    return out


def community_id(k: int, total: int) -> int:
    """Group ids: 210000000+k, with every third (or the last of a small set) above 2**31."""
    if k % 3 == 2 or (total < 3 and k == total - 1):
        return 2_210_000_000 + 2**31 + k  # 4 357 483 648 + k: needs int64
    return 210_000_000 + k


def _make_community(rng: random.Random, k: int, total: int, resident_ids: list[int]) -> Community:
    tpl = tx.COMMUNITY_TEMPLATES[k % len(tx.COMMUNITY_TEMPLATES)]
    name, screen, ctype, activity, status, place = tpl
    cycle = k // len(tx.COMMUNITY_TEMPLATES)
    if cycle:
        name, screen = f"{name} №{cycle + 1}", f"{screen}_{cycle + 1}"
    gid = community_id(k, total)
    admin_id = rng.choice(resident_ids)
    phone = (
        f"+7 ({rng.randint(38500, 38599)}) {rng.randint(2, 9)}-{rng.randint(10, 99)}-"
        f"{rng.randint(10, 99)}"
    )
    contacts = [
        {
            "user_id": admin_id,
            "desc": "Администратор страницы",
            "phone": phone,
            "email": f"{screen.replace('_', '.')}@mail.ru",
        }
    ]
    if rng.random() < 0.5:
        contacts.append({"desc": "Приёмная", "phone": phone[:-2] + f"{rng.randint(10, 99)}"})
    site = "" if rng.random() < 0.3 else f"https://{screen.replace('_', '-')}.gosuslugi.ru"
    cover = None
    if rng.random() < 0.7:
        key = f"{rng.getrandbits(48):012x}"
        cover = {
            "enabled": 1,
            "images": [
                {
                    "url": f"https://sun9-{rng.randint(1, 88)}.userapi.com"
                    f"/impg/{key}/cover_{w}.jpg",
                    "width": w,
                    "height": w * 200 // 795,
                }
                for w in (795, 1080, 1590)
            ],
        }
    return Community(
        id=gid,
        name=name,
        screen_name=screen,
        type=ctype,
        activity=activity,
        status=status,
        place=place,
        description=f"Официальная страница: {name}. Новости, объявления, ответы на обращения "
        f"жителей ({place}).",
        site=site,
        contacts=contacts,
        addresses={
            "is_enabled": rng.random() < 0.8,
            "main_address_id": rng.randint(1000, 99999),
            "count": 1,
        },
        members_count=rng.randint(150, 25_000),
        verified=int(rng.random() < 0.4),
        wall=rng.choice((1, 1, 2)),
        admin_id=admin_id,
        photo_key=None if rng.random() < 0.15 else f"{rng.getrandbits(48):012x}",
        cover=cover,
        next_id=rng.randint(80, 4000),
    )


def plan_threads(rng: random.Random, total: int, *, allow_deleted: bool) -> list[tuple[bool, int]]:
    """Split ``total`` live comments into threads: (root deleted?, number of replies).

    A deleted root only happens when it keeps live replies, so the wall shows the
    VK placeholder; the live total stays exactly ``total``.
    """
    plan: list[tuple[bool, int]] = []
    left = total
    while left > 0:
        replies = 0 if rng.random() < 0.55 else rng.randint(1, 5)
        root_deleted = allow_deleted and replies > 0 and rng.random() < 0.05
        replies = min(replies, left - (0 if root_deleted else 1))
        plan.append((root_deleted, replies))
        left -= replies + (0 if root_deleted else 1)
    return plan


def post_text(rng: random.Random, com: Community) -> str:
    return tx.fill(rng.choice(tx.POST_TEMPLATES), rng, com.place)


def top_comment(rng: random.Random, state: EmulatorState, com: Community) -> tuple[int, str]:
    """(author id, text) of a resident's top-level comment: mostly questions and thanks."""
    roll = rng.random()
    if roll < 0.05 and state.spammer_ids:
        return rng.choice(state.spammer_ids), rng.choice(tx.SPAM)
    author = rng.choice(state.resident_ids)
    if roll < 0.08:
        return author, rng.choice(tx.RUDE)
    pool = tx.QUESTIONS if roll < 0.45 else tx.THANKS if roll < 0.75 else tx.COMPLAINTS
    return author, tx.fill(rng.choice(pool), rng, com.place)


def reply_comment(
    rng: random.Random, state: EmulatorState, com: Community, target_author: int
) -> tuple[int, str]:
    """(author id, text) of a reply; about a third come from the community itself."""
    if rng.random() < 0.35:
        author, text = -com.id, rng.choice(tx.OFFICIAL_REPLIES)
    else:
        author = rng.choice(state.resident_ids)
        text = tx.fill(rng.choice(tx.RESIDENT_REPLIES), rng, com.place)
    target = state.residents.get(target_author)
    if target is not None and rng.random() < 0.6:
        text = f"[id{target.id}|{target.first_name}], {text[0].lower()}{text[1:]}"
    return author, text


def _attachments(rng: random.Random, com: Community, date: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    roll = rng.random()
    if roll < 0.4:
        for _ in range(rng.randint(1, 3)):
            key = f"{rng.getrandbits(40):010x}"
            url = f"https://sun9-{rng.randint(1, 88)}.userapi.com/impg/{key}.jpg"
            out.append(
                {
                    "type": "photo",
                    "photo": {
                        "id": com.next_photo_id,
                        "owner_id": -com.id,
                        "album_id": -7,
                        "date": date - 30,
                        "text": "",
                        "has_tags": False,
                        "sizes": [
                            {"type": "m", "url": url + "?size=130x87", "width": 130, "height": 87},
                            {
                                "type": "x",
                                "url": url + "?size=604x403",
                                "width": 604,
                                "height": 403,
                            },
                        ],
                    },
                }
            )
            com.next_photo_id += 1
    elif roll < 0.55:
        out.append(
            {
                "type": "link",
                "link": {
                    "url": f"{com.site or 'https://www.gosuslugi.ru'}/news/{rng.randint(100, 999)}",
                    "title": "Подробнее на официальном сайте",
                    "caption": "gosuslugi.ru",
                    "description": "",
                },
            }
        )
    return out


def _populate_wall(
    rng: random.Random,
    state: EmulatorState,
    com: Community,
    n_posts: int,
    n_comments: int,
    big_post: bool,
) -> None:
    """Create posts and comments in time order, then number them from one wall counter."""
    now = state.now
    dates = sorted(rng.randint(now - 60 * DAY, now - DAY) for _ in range(n_posts))
    if dates:
        dates[-1] = now - rng.randint(1800, 20 * 3600)
    specs = [(d, n_comments, False) for d in dates]
    if big_post:
        specs.append((now - 2 * DAY - rng.randint(0, 3600), 0, True))
    events: list[tuple[int, int, Any]] = []  # (date, seq, object): seq keeps parents first
    drafts: list[tuple[Comment, Post, Comment | None, Comment | None]] = []
    seq = 0
    big_one: Post | None = None
    for date, count, big in specs:
        post = Post(
            id=0,
            owner_id=-com.id,
            from_id=-com.id,
            created_by=com.admin_id,
            date=date,
            text=post_text(rng, com),
            attachments=_attachments(rng, com, date),
            source="vk" if rng.random() < 0.85 else "api",
        )
        if big:
            big_one = post
            post.text = (
                "Обсуждаем проект благоустройства центральной площади! Какие объекты "
                "вы хотите видеть: фонтан, сцену, детскую площадку? Пишите в "
                "комментариях, каждое мнение будет учтено."
            )
        post.likes = rng.randint(3, max(4, com.members_count // 20))
        post.reposts = rng.randint(0, post.likes // 5 + 1)
        post.views = post.likes * rng.randint(15, 60)
        if rng.random() < 0.15:
            post.edited = min(now, date + rng.randint(300, 2 * DAY))
            post.text += rng.choice(tx.EDIT_SUFFIXES)
        events.append((date, seq, post))
        seq += 1
        lo = date + 60
        hi = max(lo + 1, min(now - 30, date + 3 * DAY))
        if big:
            plan = [(False, BIG_POST_THREAD if i == 2 else 0) for i in range(BIG_POST_TOP_LEVEL)]
        else:
            plan = plan_threads(rng, count, allow_deleted=True)
            if count and rng.random() < 0.08:
                plan.append((True, 0))  # spam a moderator already removed in the VK UI
        for root_deleted, n_replies in plan:
            author, text = top_comment(rng, state, com)
            root = Comment(0, 0, author, rng.randint(lo, hi), text, likes=int(rng.expovariate(0.4)))
            if root_deleted:
                root.deleted, root.deleted_by = True, "ui"
            events.append((root.date, seq, root))
            drafts.append((root, post, None, None))
            seq += 1
            previous = root
            for _ in range(n_replies):
                target = previous if rng.random() < 0.3 else root
                author, text = reply_comment(rng, state, com, target.from_id)
                # Dates grow along the thread so a reply never predates the one it answers.
                date = max(previous.date, min(hi, previous.date + rng.randint(30, 4 * 3600)))
                reply = Comment(0, 0, author, date, text, likes=int(rng.expovariate(0.6)))
                events.append((reply.date, seq, reply))
                drafts.append((reply, post, root, target))
                seq += 1
                previous = reply
    events.sort(key=lambda e: (e[0], e[1]))
    for _, _, obj in events:
        obj.id = com.new_item_id()
        if rng.random() < 0.04:
            com.next_id += rng.randint(1, 3)  # ids burnt by items deleted long ago
    posts = sorted((e[2] for e in events if isinstance(e[2], Post)), key=lambda p: p.id)
    for post in posts:
        com.posts[post.id] = post
    if posts:
        # The pinned post is an old regular one, never the newest nor the big discussion.
        regular = [p for p in posts if p is not big_one] or posts
        rng.choice(regular[: max(1, len(regular) // 2)]).is_pinned = True
    drafts.sort(key=lambda d: d[0].id)
    for comment, post, root, target in drafts:
        comment.post_id = post.id
        if root is None:
            post.roots.append(comment.id)
        else:
            comment.root_id = root.id
            comment.reply_to_comment = target.id if target else root.id
            comment.reply_to_user = target.from_id if target else root.from_id
            root.replies.append(comment.id)
        com.comments[comment.id] = comment


def _make_bans(rng: random.Random, state: EmulatorState, com: Community) -> None:
    """A few existing bans of spammers, one of them possibly already expired."""
    pool = state.spammer_ids or state.resident_ids
    for uid in rng.sample(pool, min(len(pool), rng.randint(1, 3))):
        date = state.now - rng.randint(DAY, 40 * DAY)
        end = rng.choice((0, date + 30 * DAY, date + 365 * DAY))
        com.bans[uid] = Ban(uid, com.admin_id, date, end, 1, "реклама в комментариях", True)
