"""Mapping Telegram updates of the documented shapes (``docs/networks/telegram.md`` §3)."""

from hub_telegram import mapping

CHANNEL = {
    "id": -1001234567890,
    "title": "City N Administration",
    "username": "city_n_admin",
    "type": "channel",
}
GROUP = {"id": -1009876543210, "title": "City N Administration — comments", "type": "supergroup"}

POST = {
    "message_id": 345,
    "sender_chat": CHANNEL,
    "chat": CHANNEL,
    "date": 1763800000,
    "author_signature": "Press office",
    "photo": [
        {"file_id": "s", "file_unique_id": "AQADs", "width": 90, "height": 60},
        {"file_id": "x", "file_unique_id": "AQADx", "width": 1280, "height": 853},
    ],
    "caption": "Planned water outage on Nov 25, 09:00–17:00.",
}
FORWARD = {
    "message_id": 1201,
    "from": {"id": 777000, "is_bot": False, "first_name": "Telegram"},
    "sender_chat": CHANNEL,
    "chat": GROUP,
    "date": 1763800002,
    "forward_origin": {"type": "channel", "chat": CHANNEL, "message_id": 345, "date": 1763800000},
    "is_automatic_forward": True,
    "forward_from_chat": CHANNEL,
    "forward_from_message_id": 345,
}
COMMENT = {
    "message_id": 1202,
    "message_thread_id": 1201,
    "from": {"id": 5550001234, "is_bot": False, "first_name": "Anna", "username": "anna_k"},
    "chat": GROUP,
    "date": 1763800310,
    "reply_to_message": FORWARD,
    "text": "Will School No. 7 on Oak St. be affected? @city_n_admin",
}


def test_channel_post():
    post = mapping.channel_post(POST)
    assert post.network_id == 345 and post.published_at == 1763800000
    assert post.text.startswith("Planned water outage") and post.author_id == CHANNEL["id"]
    assert post.attachments == [{"type": "photo", "id": "AQADx"}]  # the largest size
    assert post.url == "https://t.me/city_n_admin/345"
    edited = mapping.channel_post({**POST, "edit_date": 1763800500})
    assert edited.edited_at == 1763800500


def test_automatic_forward_links_the_thread():
    assert mapping.forward_link(FORWARD) == 345
    legacy = {k: v for k, v in FORWARD.items() if k != "forward_origin"}
    assert mapping.forward_link(legacy) == 345
    assert mapping.forward_link(COMMENT) is None


def test_a_forward_as_bot_api_7_sends_it_has_only_forward_origin():
    """Bot API 7.0 removed ``forward_from_*``: the notes' §3 example without them."""
    modern = {k: v for k, v in FORWARD.items() if not k.startswith("forward_from")}
    modern["forward_origin"] = {**FORWARD["forward_origin"], "author_signature": "Press office"}
    assert mapping.forward_link(modern) == 345
    assert mapping.forward_channel_id(modern) == CHANNEL["id"]
    post = mapping.forward_post(modern)
    assert (post.network_id, post.published_at, post.author_id) == (345, 1763800000, CHANNEL["id"])
    assert post.url == "https://t.me/city_n_admin/345"
    comment = {**COMMENT, "reply_to_message": modern}
    assert mapping.thread_of(comment) == 1201
    assert mapping.thread_of({k: v for k, v in comment.items() if k != "message_thread_id"}) == 1201


def test_comments_top_level_nested_and_without_reply():
    top = mapping.group_comment(COMMENT, mapping.thread_of(COMMENT))
    assert top.network_id == 1202 and top.thread_root_network_id == 1201
    assert top.parent_network_id is None and top.author_id == 5550001234
    nested_msg = {**COMMENT, "message_id": 1203, "reply_to_message": COMMENT}
    nested = mapping.group_comment(nested_msg, mapping.thread_of(nested_msg))
    assert nested.parent_network_id == 1202
    bare = {k: v for k, v in COMMENT.items() if k != "reply_to_message"}
    assert mapping.thread_of(bare) == 1201  # keyed on message_thread_id, not the reply
    no_thread = {k: v for k, v in COMMENT.items() if k != "message_thread_id"}
    assert mapping.thread_of(no_thread) == 1201  # the reply is the forward


def test_comment_posted_as_a_channel_is_authored_by_that_channel():
    foreign = {"id": -1005555555555, "title": "Some channel", "type": "channel"}
    msg = {
        **COMMENT,
        "from": {"id": 136817688, "is_bot": True, "first_name": "Channel"},
        "sender_chat": foreign,
    }
    assert mapping.sender_id(msg) == foreign["id"]
    kinds = {a.network_id: a.kind for a in mapping.authors(msg)}
    assert kinds[foreign["id"]] == "community" and 136817688 not in kinds


def test_chat_meta():
    meta = mapping.chat_meta(
        {
            **CHANNEL,
            "description": "Официально",
            "photo": {"small_file_id": "a"},
            "linked_chat_id": GROUP["id"],
        },
        1520,
    )
    assert meta.name == "City N Administration" and meta.members_count == 1520
    assert meta.has_avatar and meta.url == "https://t.me/city_n_admin"
    private = mapping.chat_meta(
        {"id": -1001, "title": "x", "invite_link": "https://t.me/+abc"}, None
    )
    assert private.url == "https://t.me/+abc"
    assert mapping.post_url({"id": -1001234567890}, 5) == "https://t.me/c/1234567890/5"


# -- broken messages: one is left out (logged), the batch and its offset go on -------------


def test_broken_updates_are_left_out_and_the_offset_still_moves():
    from structlog.testing import capture_logs

    from hub.models import Account
    from hub_telegram.network import Chats, TelegramNetwork

    account = Account("tg", "telegram", "@city_n_admin", "Org", "HUB_TG")
    net = TelegramNetwork({}, lambda a: "1:AAH-secret")
    net._chats[account.id] = Chats(CHANNEL, GROUP["id"])
    updates = [
        {"update_id": 10, "channel_post": "not a message"},
        {"update_id": 11, "channel_post": {**POST, "chat": "not a chat"}},
        {"update_id": 12, "message": {**COMMENT, "from": {"id": 2**64, "first_name": "X"}}},
        {"update_id": 13, "message": {k: v for k, v in COMMENT.items() if k != "chat"}},
        {"update_id": 14, "channel_post": {**POST, "message_id": "345"}},  # a number as text
        "not an update",
        {"update_id": 15, "message": COMMENT},
    ]
    with capture_logs() as logs:
        batch = net._batch(updates, [account])
    assert [p.network_id for _, p in batch.posts] == [345]
    assert [c.comment.network_id for c in batch.comments] == [1202]
    assert batch.next_offset == 16
    errors = [e for e in logs if e["log_level"] == "error"]
    assert len(errors) == 4  # the three unreadable updates and the one that is no object
    assert any("does not fit 64 bits" in e["reason"] for e in errors)
    assert all(e["event"] == "Telegram answered an unreadable update; left out" for e in errors)
