"""Mapping OK JSON of the documented shapes (``docs/networks/ok.md`` §3–4) into models."""

from hub_ok import mapping

TOPIC = {
    "id": "155812345678901",
    "created_ms": 1718000000000,
    "author_ref": "group:70000001234567",
    "owner_ref": "group:70000001234567",
    "media": [
        {"type": "text", "text": "Уважаемые жители! Отключение воды 12.06"},
        {"type": "photo", "photo_refs": ["group_photo:912345678901"]},
        {"type": "link", "url": "https://adm.example.ru/news/1", "title": "Новость"},
    ],
    "discussion_summary": {"comments_count": 14},
    "like_summary": {"count": 37},
    "reshare_summary": {"count": 3},
    "is_on_behalf_of_group": True,
}

# a real 2014 fixture published by a client library (docs/networks/ok.md §4.1)
COMMENT = {
    "id": "MTM5NzIwNjM4MjQ3MTotMTU5NDE6MTM5NzIwNjM4MjQ3MTo2MjUwMzkyOTY2MjMyMDox",
    "type": "ACTIVE_MESSAGE",
    "author_id": "538901295641",
    "date": "2014-04-11 12:53:02",
    "text": "наверное и я так буду делать!",
    "like_count": 123,
    "liked_it": False,
    "attrs": {"flags": "l,s"},
    "reply_to_comment_id": "MTM5NzIwNjMzNjI2MTotODE0MzoxMzk3MjA2MzM2MjYxOjYyNTAzOTI5NjYyMzIwOjE=",
    "reply_to_id": "134519031824",
}


def test_topic():
    post = mapping.topic(TOPIC, 70000001234567)
    assert post.network_id == 155812345678901 and post.published_at == 1718000000
    assert post.text.startswith("Уважаемые жители!")
    assert post.author_id == -70000001234567
    assert (post.comments_count, post.likes_count, post.reposts_count) == (14, 37, 3)
    assert [a["type"] for a in post.attachments] == ["photo", "link"]
    assert post.attachments[0]["refs"] == ["group_photo:912345678901"]
    assert post.url == "https://ok.ru/group/70000001234567/topic/155812345678901"
    assert not post.is_pinned and mapping.topic({**TOPIC, "is_sticky": True}, 1).is_pinned


def test_comment_date_is_moscow_time_without_date_ms():
    c = mapping.comment(COMMENT, 62503929662320)
    # 12:53:02 in Moscow (UTC+4 in 2014) = 08:53:02 UTC = the ms inside the id
    assert c.published_at == 1397206382
    assert c.network_id == COMMENT["id"] and isinstance(c.network_id, str)
    assert c.parent_network_id == COMMENT["reply_to_comment_id"]
    assert c.author_id == 538901295641 and c.likes_count == 123
    assert mapping.comment({**COMMENT, "date_ms": 1397206382999}, 1).published_at == 1397206382


def test_group_authored_comment_and_authors():
    payload = {
        "comments": [{**COMMENT, "author_type": "GROUP", "author_id": "700", "author_name": "Адм"}],
        "entities": {
            "users": [{"uid": "538901295641", "name": "Иван Петров"}],
            "groups": [{"uid": "700", "name": "Администрация"}],
        },
    }
    assert mapping.comment(payload["comments"][0], 1).author_id == -700
    authors = {a.network_id: a for a in mapping.authors(payload)}
    assert authors[538901295641].kind == "user"
    assert authors[-700].name == "Администрация" and authors[-700].raw  # entities win


def test_group_meta_for_registry():
    meta = mapping.group_meta(
        {
            "uid": "70000001234567",
            "name": "Администрация",
            "description": "Официально",
            "address": "с. Клочки, ул. Ленина, 1",
            "phone": "+7 385 22 2-11-11",
            "email": "adm@klochki.ru",
            "homepage_url": "https://klochki.ru",
            "members_count": 1200,
            "pic_avatar": "https://i.mycdn.me/a.jpg",
            "shortname": "klochki",
        }
    )
    assert meta.site == "https://klochki.ru" and meta.addresses["address"].startswith("с. Клочки")
    assert meta.contacts == [{"phone": "+7 385 22 2-11-11", "email": "adm@klochki.ru"}]
    assert meta.has_avatar and not meta.has_cover and meta.url == "https://ok.ru/klochki"


def test_refs():
    assert mapping.ref_to_id("user:5000") == 5000
    assert mapping.ref_to_id("group:7") == -7
    assert mapping.ref_to_id("weird") is None and mapping.ref_to_id(None) is None
