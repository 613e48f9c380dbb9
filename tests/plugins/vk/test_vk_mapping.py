"""Mapping VK JSON of the documented shapes (``docs/networks/vk.md`` §3) into models, no HTTP."""

from hub_vk import mapping

POST = {
    "id": 4521,
    "owner_id": -123456789,
    "from_id": -123456789,
    "created_by": 98765432,
    "date": 1767261600,
    "edited": 1767262500,
    "post_type": "post",
    "is_pinned": 1,
    "marked_as_ads": 0,
    "text": "Уважаемые жители! С 10 января меняется расписание автобусов...",
    "attachments": [
        {
            "type": "photo",
            "photo": {"id": 457239101, "owner_id": -123456789, "album_id": -7, "sizes": []},
        },
        {
            "type": "link",
            "link": {"url": "https://city.example.ru/news/123", "title": "Новое расписание"},
        },
    ],
    "comments": {"count": 57, "can_post": 1},
    "likes": {"count": 310},
    "reposts": {"count": 12},
    "views": {"count": 15820},
}

COMMENTS = {
    "count": 57,
    "current_level_count": 41,
    "items": [
        {
            "id": 9012,
            "from_id": 55501,
            "post_id": 4521,
            "owner_id": -123456789,
            "parents_stack": [],
            "date": 1767263000,
            "text": "А вечерний рейс 12 сохранят?",
            "likes": {"count": 3},
            "thread": {
                "count": 2,
                "items": [
                    {
                        "id": 9015,
                        "from_id": -123456789,
                        "post_id": 4521,
                        "owner_id": -123456789,
                        "parents_stack": [9012],
                        "date": 1767263400,
                        "text": "Да, сохраняется.",
                        "reply_to_user": 55501,
                        "reply_to_comment": 9012,
                    }
                ],
            },
        },
        {
            "id": 9020,
            "from_id": 0,
            "post_id": 4521,
            "owner_id": -123456789,
            "date": 1767264000,
            "text": "",
            "deleted": True,
            "thread": {"count": 1, "items": []},
        },
    ],
    "profiles": [{"id": 55501, "first_name": "Иван", "last_name": "Петров"}],
    "groups": [{"id": 123456789, "name": "Администрация города N", "screen_name": "adm_n"}],
}

GROUP = {
    "id": 123456789,
    "name": "Администрация города N",
    "screen_name": "adm_n",
    "is_closed": 0,
    "type": "page",
    "verified": 1,
    "members_count": 48210,
    "site": "https://admin-n.example.ru",
    "description": "Официальная страница...",
    "photo_200": "https://sun9-1.userapi.com/x.jpg",
    "contacts": [{"user_id": 98765432, "desc": "Пресс-служба", "phone": "+7 ..."}],
    "addresses": {"is_enabled": True, "main_address_id": 77, "count": 1},
    "cover": {"enabled": 1, "images": [{"url": "https://sun9-...", "width": 1590}]},
}


def test_post_maps_counters_pin_edit_and_attachments():
    post = mapping.post(POST)
    assert post.network_id == 4521
    assert post.is_pinned and post.edited_at == 1767262500
    assert (post.comments_count, post.likes_count, post.reposts_count, post.views_count) == (
        57,
        310,
        12,
        15820,
    )
    assert [a["type"] for a in post.attachments] == ["photo", "link"]
    assert post.attachments[1]["url"] == "https://city.example.ru/news/123"
    assert post.url == "https://vk.com/wall-123456789_4521"
    assert post.raw == POST


def test_post_without_optional_fields():
    post = mapping.post({"id": 1, "date": 5, "owner_id": -1})
    assert post.comments_count == 0 and post.likes_count is None and not post.is_pinned


def test_comment_thread_reply_and_placeholder():
    top = COMMENTS["items"][0]
    reply = top["thread"]["items"][0]
    c = mapping.comment(top, 4521)
    assert c.parent_network_id is None and c.thread_root_network_id is None
    assert c.likes_count == 3 and "thread" not in c.raw
    r = mapping.comment(reply, 4521)
    assert r.parent_network_id == 9012 and r.thread_root_network_id == 9012
    assert r.author_id == -123456789
    gone = mapping.comment(COMMENTS["items"][1], 4521)
    assert gone.deleted and gone.author_id is None


def test_authors_from_extended_answer():
    authors = {a.network_id: a for a in mapping.authors(COMMENTS)}
    assert authors[55501].name == "Иван Петров" and authors[55501].kind == "user"
    assert authors[-123456789].kind == "community"


def test_group_meta_for_registry():
    meta = mapping.group_meta(GROUP)
    assert meta.name == "Администрация города N"
    assert meta.has_avatar and meta.has_cover and meta.verified and not meta.is_closed
    assert meta.members_count == 48210 and meta.contacts[0]["desc"] == "Пресс-служба"
    assert meta.url == "https://vk.com/adm_n"
    bare = mapping.group_meta({"id": 5, "name": "x", "cover": {"enabled": 0}})
    assert not bare.has_avatar and not bare.has_cover and bare.url == "https://vk.com/club5"


def test_int64_ids_survive():
    big = 2**40 + 7
    assert mapping.post({"id": big, "date": 1, "owner_id": -(2**33)}).network_id == big


def test_wall_paging_when_posts_arrive_or_vanish_mid_walk():
    from hub_vk.network import _post_page

    items = [{"id": i, "date": i, "owner_id": -1} for i in range(100)]
    # first page
    assert _post_page(None, {"count": 250, "items": items}).next_cursor == "100:250"
    # two new posts arrived: this page was read after the shift, so no jump ahead
    assert _post_page("100:250", {"count": 252, "items": items}).next_cursor == "200:252"
    # three posts vanished above: read again from where the list now stands
    assert _post_page("100:250", {"count": 247, "items": items}).next_cursor == "97:247"
    # the end of the wall
    assert _post_page("200:250", {"count": 250, "items": items[:50]}).next_cursor is None


def test_a_comment_list_that_shrinks_while_paged_is_incomplete():
    from hub.models import Account
    from hub.network import CommentsRequest
    from hub_vk.network import _CommentWalk

    walk = _CommentWalk(CommentsRequest(Account("a", "vk", "1", "", "T"), 5))
    walk.saw_total(None, 150)
    walk.saw_total(None, 152)  # grew: new comments come last in asc order, nothing skipped
    assert walk.complete
    walk.saw_total(7, 30)
    walk.saw_total(7, 29)  # a reply vanished between pages of a thread
    assert not walk.complete and not walk.result().complete


# -- hostile answers: numbers as text are read, an item that cannot be stored is left out --


def test_numbers_sent_as_text_are_read_as_numbers():
    item = {"id": "4521", "date": "1767261600", "from_id": "-123", "comments": {"count": "57"}}
    post = mapping.post({**item, "owner_id": "-123", "likes": {"count": "3"}})
    assert (post.network_id, post.published_at, post.author_id) == (4521, 1767261600, -123)
    assert post.comments_count == 57 and post.likes_count == 3
    reply = mapping.comment({"id": "9", "from_id": "55501", "parents_stack": ["7"]}, 4521)
    assert (reply.network_id, reply.author_id, reply.thread_root_network_id) == (9, 55501, 7)
    assert mapping.group_meta({"id": 5, "name": "x", "members_count": "1200"}).members_count == 1200


def test_an_item_that_cannot_be_stored_is_left_out_and_logged():
    from structlog.testing import capture_logs

    items = [
        {"id": 2**64, "date": 1},  # SQLite stores 64-bit integers: this would not go in
        {"id": "twelve", "date": 1},
        {"date": 1},
        "not an object",
        {"id": 7, "date": 1},
    ]
    with capture_logs() as logs:
        posts = mapping.posts(items)
        authors = mapping.authors({"profiles": [{"id": 2**63}, {"id": 5, "first_name": "A"}]})
    assert [p.network_id for p in posts] == [7] and [a.network_id for a in authors] == [5]
    errors = [e for e in logs if e["log_level"] == "error"]
    assert len(errors) == 5 and errors[0]["event"] == "VK answered an unreadable post; left out"
    assert errors[0]["reason"] == "post id 18446744073709551616 does not fit 64 bits"


def test_a_sync_stores_the_rest_when_one_post_id_overflows_and_reads_text_numbers(
    tmp_path, monkeypatch
):
    """Before: an OverflowError traceback stopped the sync; numbers as text lost comments."""
    import hub_vk.emulator.methods as methods
    from hub_vk.emulator import VkEmulator
    from hub_vk.emulator.data import Post
    from tests.helpers import TOKEN, TOKEN_ENV, sync, write_config

    plain = methods.post_object

    def as_text(com, post):  # VK sending the numbers of a post as strings
        out = plain(com, post)
        out["comments"] = {**out["comments"], "count": str(out["comments"]["count"])}
        return {k: str(v) if type(v) is int else v for k, v in out.items()}

    monkeypatch.setattr(methods, "post_object", as_text)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with VkEmulator(
        seed=3, communities=1, posts=3, comments=3, rate_limit=0, tokens=[TOKEN]
    ) as emu:
        gid = emu.community_ids()[0]
        huge = Post(id=2**64, owner_id=-gid, from_id=-gid, created_by=1, date=1, text="x")
        emu._community(gid).posts[huge.id] = huge
        (run,) = sync(write_config(tmp_path, emu))
    assert run.ok, run.summary()
    assert run.posts_new == 3 and run.comments_new == 9
