"""The seeded generator of the Telegram emulator's world, and the content of later changes.

Everything comes from one ``random.Random(seed)`` so two emulators built with the
same arguments hold identical channels and queue identical updates (tests compare
snapshots and first ``getUpdates`` answers). The generator plans a timeline —
posts spread over the last ~20 hours, comment threads, a few edits — and replays
it in time order through :class:`~.data.World`'s primitives, so message
ids grow with time as Telegram's do and every step emits its update.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

from . import texts as tx
from .data import (
    RESIDENT_BASE,
    STAFF_BASE,
    Channel,
    Event,
    Msg,
    Person,
    World,
    supergroup_id,
)
from .json import CHANNEL_BOT, channel_ref, user_json

RESIDENTS = 400
SPAN = 20 * 3600  # posts spread over the last 20 hours: all within the 24 h retention
NO_REPLY_RATE = 0.05  # comments whose update omits reply_to_message
EARLY_RATE = 0.10  # threads whose first comment's update precedes the forward's


def base_time(now: float | None, wall_clock: float) -> int:
    """Data time base: explicit ``now``, or the wall clock floored to the hour.

    Flooring keeps two emulators built seconds apart identical (same seed ⇒ same
    snapshot) while the newest data stays within Telegram's 24-hour window.
    """
    if now is not None:
        return int(now)
    return int(wall_clock) // 3600 * 3600


def _invite(rng: random.Random) -> str:
    return "https://t.me/+" + "".join(rng.choices(string.ascii_letters + string.digits, k=16))


def _person(rng: random.Random, uid: int, *, usernames: float) -> Person:
    female = rng.random() < 0.55
    first = rng.choice(tx.FEMALE_FIRST if female else tx.MALE_FIRST)
    last = rng.choice(tx.SURNAMES)
    if female:
        last = tx.female_surname(last)
    username = None
    if rng.random() < usernames:
        username = f"{tx.translit(first)}_{tx.translit(last)[:6]}{rng.randint(1, 99)}"
    last_name = last if rng.random() < 0.85 else None
    return Person(uid, first, last_name, username, spammer=rng.random() < 0.03)


def _channel(rng: random.Random, k: int) -> Channel:
    title, username, place = tx.CHANNEL_TEMPLATES[k % len(tx.CHANNEL_TEMPLATES)]
    cycle = k // len(tx.CHANNEL_TEMPLATES)
    if cycle:
        title, username = f"{title} №{cycle + 1}", f"{username}{cycle + 1}"
    owner = _person(rng, STAFF_BASE + 2 * k + 1, usernames=0.5)
    editor = _person(rng, STAFF_BASE + 2 * k + 2, usernames=1.0)
    owner.spammer = editor.spammer = False
    return Channel(
        id=supergroup_id(1_712_000_000 + k * 100_000 + rng.randrange(100_000)),
        username=username,
        title=title,
        place=place,
        description=rng.choice(tx.DESCRIPTIONS).format(title=title, place=place),
        photo_key=None if k % 3 == 1 else f"chat-{username}-{rng.getrandbits(32):08x}",
        invite_link=_invite(rng),
        signature=rng.choice(tx.SIGNATURES) if rng.random() < 0.5 else None,
        subscribers=rng.randint(300, 15_000),
        group_id=supergroup_id(2_012_000_000 + k * 100_000 + rng.randrange(100_000)),
        group_title=f"{title} — комментарии",
        group_invite_link=_invite(rng),
        group_members=rng.randint(80, 3_000),
        owner=owner,
        editor=editor,
        next_post=rng.randint(150, 2_500),
        next_group=rng.randint(3_000, 40_000),
    )


# --------------------------------------------------------------------------- content


def post_content(rng: random.Random, ch: Channel) -> tuple[str, str | None]:
    """(text or caption, photo key or None): a quarter of posts are photos with captions."""
    text = tx.fill(rng.choice(tx.POST_TEMPLATES), rng, ch.place)
    if rng.random() < 0.5:
        text += f"\n\n#{rng.choice(tx.HASHTAGS)}"
    photo = f"post-{ch.username}-{rng.getrandbits(40):010x}" if rng.random() < 0.25 else None
    return text, photo


def resident_text(rng: random.Random, world: World, ch: Channel) -> tuple[Person, str]:
    """A resident's own comment: questions, thanks, complaints, a little spam and rudeness."""
    roll = rng.random()
    spammers = [p for p in world.residents.values() if p.spammer]
    if roll < 0.04 and spammers:
        return rng.choice(spammers), rng.choice(tx.SPAM)
    author = world.residents[RESIDENT_BASE + rng.randint(1, len(world.residents))]
    if roll < 0.07:
        return author, rng.choice(tx.RUDE)
    pool = tx.QUESTIONS if roll < 0.45 else tx.THANKS if roll < 0.75 else tx.COMPLAINTS
    text = tx.fill(rng.choice(pool), rng, ch.place)
    if pool is tx.QUESTIONS and rng.random() < 0.15:
        text += f" {ch.ref}"
    return author, text


def auto_comment(
    rng: random.Random,
    world: World,
    ch: Channel,
    thread: int,
    date: int,
) -> Msg:
    """A plausible comment in ``thread``: top level or nested, by a resident, the channel
    itself (admins answering) or, rarely, a foreign channel."""
    show = rng.random() >= NO_REPLY_RATE
    live = [ch.group[i] for i in ch.threads[thread] if ch.group[i].deleted is None]
    parent = None
    if live and rng.random() < 0.3:
        parent = live[-1] if rng.random() < 0.5 else rng.choice(live)
    if parent is not None:
        if parent.author_id in world.residents and rng.random() < 0.35:
            return world.comment(
                ch,
                thread,
                date,
                rng.choice(tx.OFFICIAL_REPLIES),
                sender=CHANNEL_BOT,
                sender_chat=channel_ref(ch),
                reply_to=parent.message_id,
                show_reply=show,
            )
        person = world.residents[RESIDENT_BASE + rng.randint(1, len(world.residents))]
        reply = tx.fill(rng.choice(tx.RESIDENT_REPLIES), rng, ch.place)
        return world.comment(
            ch,
            thread,
            date,
            reply,
            sender=user_json(person),
            reply_to=parent.message_id,
            show_reply=show,
        )
    if world.foreign and rng.random() < 0.04:
        chat = rng.choice(world.foreign)
        spam = rng.choice(tx.SPAM)
        return world.comment(
            ch, thread, date, spam, sender=CHANNEL_BOT, sender_chat=chat, show_reply=show
        )
    person, own = resident_text(rng, world, ch)
    return world.comment(ch, thread, date, own, sender=user_json(person), show_reply=show)


# --------------------------------------------------------------------------- timeline


@dataclass
class _Plan:
    seq: int
    ch: Channel
    date: int
    comment_dates: list[int]
    early: bool
    edit_date: int | None
    comment_edits: dict[int, int] = field(default_factory=dict)
    thread: int = 0
    comment_ids: list[int] = field(default_factory=list)
    post_id: int = 0


def _plan_posts(
    rng: random.Random, ch: Channel, posts: int, comments: int, early: bool, base: int, seq: int
) -> list[_Plan]:
    plans = []
    for i, date in enumerate(sorted(rng.randint(base - SPAN, base - 900) for _ in range(posts))):
        lo, hi = date + 60, max(date + 61, base - 30)
        dates = sorted(rng.randint(lo, hi) for _ in range(comments))
        is_early = early and bool(dates) and rng.random() < EARLY_RATE
        if is_early:  # the first comment lands seconds after the forward
            dates[0] = min(dates[0], date + rng.randint(5, 60))
        edit = min(base, date + rng.randint(300, 4 * 3600)) if rng.random() < 0.1 else None
        plan = _Plan(seq + i, ch, date, dates, is_early, edit)
        for j, d in enumerate(dates):
            if rng.random() < 0.04:
                plan.comment_edits[j] = min(base, d + rng.randint(60, 1800))
        plans.append(plan)
    return plans


def generate_world(
    *, seed: int, channels: int, posts: int, comments: int, early_comments: bool, base: int
) -> tuple[World, list[Event]]:
    """The world and the events that built it, in the order Telegram would queue them."""
    rng = random.Random(seed)
    events: list[Event] = []
    world = World(sink=events.append)
    for k in range(1, RESIDENTS + 1):
        world.residents[RESIDENT_BASE + k] = _person(rng, RESIDENT_BASE + k, usernames=0.4)
    for j, (title, username) in enumerate(tx.FOREIGN_CHANNELS):
        chat_id = supergroup_id(1_899_000_000 + j * 7_777 + rng.randrange(1_000))
        world.foreign.append(
            {"id": chat_id, "title": title, "username": username, "type": "channel"}
        )
    plans: list[_Plan] = []
    for k in range(channels):
        ch = _channel(rng, k)
        world.add_channel(ch)
        plans += _plan_posts(rng, ch, posts, comments, early_comments, base, len(plans))
    steps: list[tuple[int, int, int, int]] = []  # (date, kind, plan, index)
    for p in plans:
        steps.append((p.date, 0, p.seq, 0))
        steps += [(d, 1, p.seq, j) for j, d in enumerate(p.comment_dates)]
        if p.edit_date is not None:
            steps.append((p.edit_date, 2, p.seq, 0))
        steps += [(d, 3, p.seq, j) for j, d in p.comment_edits.items()]
    for date, kind, seq, j in sorted(steps):
        p = plans[seq]
        ch = p.ch
        if kind == 0:
            text, photo = post_content(rng, ch)
            post = world.publish(ch, date, text, photo, lag=rng.randint(1, 3), hold=p.early)
            p.post_id, p.thread = post.message_id, ch.forwards[post.message_id]
        elif kind == 1:
            p.comment_ids.append(auto_comment(rng, world, ch, p.thread, date).message_id)
        elif kind == 2:
            post = ch.posts[p.post_id]
            world.edit(ch, post, post.text + rng.choice(tx.EDIT_SUFFIXES), date)
        else:
            m = ch.group[p.comment_ids[j]]
            world.edit(ch, m, m.text + " (исправлено)", max(date, m.date + 1))
    world.flush_held()
    return world, events
