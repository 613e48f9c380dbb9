"""The MAX Bot API's write methods: posts, comments, blocks, subscriptions and uploads.

Mixed into :class:`~hub_max.emulator.server.MaxEmulator`, like :mod:`.methods`. Each write
is applied and its update queued before the answer goes out, so a lost answer (armed
with ``lose_answers``) leaves the change in place, as on the real network. Uploads take the
schema's three steps: ``POST /uploads`` gives an upload URL on this server, the bytes go
there (no token), and the JSON it answers is the attachment's payload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from hub.sandbox.harness import ANSWER_LOST, HTTP500, Reply

from .data import comment_json, post_json
from .methods import MaxError, bad_request, denied, not_found
from .updates import Subscription

UPLOAD_PATH = "/_upload/"
SECRET_RE = re.compile(r"^[\w-]{5,256}$")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
#: what the upload server answers for video and audio (the Go client's stabs/upload.video.*)
UPLOAD_DONE_XML = b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<retval>1</retval>'


class PublishMethods:
    """Write handlers (mixed into the emulator)."""

    def _remove_member(self, chat_id: str, *, q: Mapping[str, str], body: Any) -> Any:
        """``DELETE /chats/{id}/members?user_id=&block=true``: remove, and block if asked."""
        ch = self._chat(chat_id)
        self._need(ch, "add_remove_members")
        user_id = self._int(q, "user_id")
        if user_id is None:
            raise bad_request("user_id is required")
        if user_id in (ch.owner.user_id, self.bot.user_id):
            raise denied("Cannot remove an administrator")
        ch.members.pop(user_id, None)
        if (q.get("block") or "").lower() == "true":
            ch.blocked.add(user_id)
        return {"success": True}

    def _add_members(self, chat_id: str, *, q: Mapping[str, str], body: Any) -> Any:
        """``POST /chats/{id}/members``; *modelled*: adding a blocked user back lifts the block."""
        ch = self._chat(chat_id)
        self._need(ch, "add_remove_members")
        ids = body.get("user_ids")
        if not isinstance(ids, list) or not ids or len(ids) > 100:
            raise bad_request("user_ids: 1 to 100 user ids are required")
        failed = []
        for user_id in ids:
            if not isinstance(user_id, int) or user_id not in self.residents:
                failed.append(user_id)
                continue
            ch.blocked.discard(user_id)
            ch.members[user_id] = self.residents[user_id]
        result: dict[str, Any] = {"success": not failed}
        if failed:
            result["failed_user_ids"] = failed
            result["failed_user_details"] = [
                {"error_code": "add.participant.not.found", "user_ids": failed}
            ]
        return result

    def _attachments(self, requests: Any) -> list[dict[str, Any]]:
        """``AttachmentRequest``s to the ``Attachment``s a message then carries."""
        if requests is None:
            return []
        if not isinstance(requests, list):
            raise bad_request("attachments must be a list")
        out = []
        for item in requests:
            kind = item.get("type") if isinstance(item, dict) else None
            payload = item.get("payload") if isinstance(item, dict) else None
            if kind == "inline_keyboard" and isinstance(payload, dict):
                out.append({"type": kind, "payload": {"buttons": payload.get("buttons") or []}})
                continue
            if kind not in ("image", "video", "audio", "file") or not isinstance(payload, dict):
                raise bad_request(f"Unsupported attachment {kind!r}")
            if kind == "image" and payload.get("url"):
                url = str(payload["url"])
                upload = self._register_upload("image", done=True, size=0, url=url)
                tokens = [upload["token"]]
            elif kind == "image" and isinstance(payload.get("photos"), dict):
                tokens = [str((v or {}).get("token")) for v in payload["photos"].values()]
            else:
                tokens = [str(payload.get("token"))]
            for token in tokens:
                upload = self._tokens.get(token)
                if upload is None or upload["type"] != kind:
                    raise bad_request(f"Unknown attachment token {token}", "attachment.not.found")
                if not upload["done"]:
                    raise bad_request("", "attachment.not.ready")
                out.append(self._attachment_json(upload))
        media = [a for a in out if a["type"] != "inline_keyboard"]
        if media and self._attachment_not_ready > 0:
            self._attachment_not_ready -= 1
            raise bad_request("", "attachment.not.ready")
        return out

    @staticmethod
    def _attachment_json(upload: Mapping[str, Any]) -> dict[str, Any]:
        kind, token, url = upload["type"], upload["token"], upload["url"]
        if kind == "image":
            return {
                "type": "image",
                "payload": {"photo_id": upload["photo_id"], "token": token, "url": url},
            }
        if kind == "file":
            return {
                "type": "file",
                "payload": {"url": url, "token": token},
                "filename": upload["filename"],
                "size": upload["size"],
            }
        return {"type": kind, "payload": {"url": url, "token": token}}

    def _send_message(self, *, q: Mapping[str, str], body: Any) -> Any:
        chat_id = self._int(q, "chat_id")
        if chat_id is None:
            raise bad_request("chat_id is required (the emulator has channels only)")
        ch = self._chat(chat_id)
        self._need(ch, "write")
        if body.get("notify") is False:
            raise bad_request("notify=false is not supported in channels")
        text = self._text(body, required=False)
        attachments = self._attachments(body.get("attachments"))
        if not text and not attachments:
            raise bad_request("Message must have text or attachments")
        mid = self.add_post(ch.chat_id, text, attachments=attachments, sender=self.bot, views=0)
        post = ch.posts[mid]
        return {"message": post_json(ch, post, stat=False)}

    def _edit_message(self, *, q: Mapping[str, str], body: Any) -> Any:
        mid = q.get("message_id") or ""
        ch, post = self._post_of(mid)
        self._need(ch, "edit")
        if post.sender is None or not post.sender.is_bot:
            raise MaxError(403, "access.denied", "Bot can edit only its own messages")
        text = self._text(body, required=False)
        if "attachments" in body and body["attachments"] is not None:
            post.attachments = self._attachments(body["attachments"])
        if "text" in body:
            post.text = text
        self._emit(ch, "message_edited", message=post_json(ch, post, stat=False))
        return {"success": True}

    def _delete_message(self, *, q: Mapping[str, str], body: Any) -> Any:
        mid = q.get("message_id") or ""
        ch, post = self._post_of(mid)
        self._need(ch, "delete")
        self._remove_post(ch, post, self.bot.user_id)
        return {"success": True}

    def _send_comment(self, mid: str, *, q: Mapping[str, str], body: Any) -> Any:
        """A comment by the bot; ``link: {type: reply, mid}`` answers a resident's comment."""
        ch, post = self._comments_of(mid)
        self._need(ch, "write")
        if body.get("attachments"):
            raise bad_request("Attachments are not allowed in comments")
        text = self._text(body, required=True)
        reply_to = None
        link = body.get("link")
        if isinstance(link, dict):
            if link.get("type") != "reply" or link.get("mid") not in post.comments:
                raise bad_request("link: a reply to a comment under this post is expected")
            reply_to = link["mid"]
        cid = self.add_comment(ch.chat_id, mid, text or "", from_user=self.bot, reply_to=reply_to)
        comment = post.comments[cid]
        return {"message": comment_json(ch, comment)}

    def _edit_comment(self, mid: str, *, q: Mapping[str, str], body: Any) -> Any:
        ch, post = self._comments_of(mid)
        comment = post.comments.get(q.get("comment_id") or "")
        if comment is None or comment.deleted:
            raise not_found(f"Comment {q.get('comment_id')} not found")
        if not comment.sender.is_bot:
            raise MaxError(403, "access.denied", "Bot can edit only its own comments")
        comment.text = self._text(body, required=True) or ""
        self._emit(ch, "comment_edited", message=comment_json(ch, comment))
        return {"success": True}

    def _delete_comment(self, mid: str, *, q: Mapping[str, str], body: Any) -> Any:
        ch, post = self._comments_of(mid)
        self._need(ch, "delete")
        comment = post.comments.get(q.get("comment_id") or "")
        if comment is None or comment.deleted:
            raise not_found(f"Comment {q.get('comment_id')} not found")
        self._remove_comment(ch, comment, self.bot.user_id)
        return {"success": True}

    def _subscribe(self, *, q: Mapping[str, str], body: Any) -> Any:
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise bad_request("url is required")
        parts = urlsplit(url)
        loopback = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
        if parts.scheme != "https" and not loopback:
            raise bad_request("url: must start with https://")
        secret = body.get("secret")
        if secret is not None and (not isinstance(secret, str) or not SECRET_RE.match(secret)):
            raise bad_request("secret: 5-256 characters of A-Z, a-z, 0-9, _ and -")
        types = body.get("update_types")
        if types is not None and not (
            isinstance(types, list) and all(isinstance(t, str) for t in types)
        ):
            raise bad_request("update_types must be a list of strings")
        self.queue.subscribe(Subscription(url, secret, types or None, self._now_ms()))
        return {"success": True}

    def _unsubscribe(self, *, q: Mapping[str, str], body: Any) -> Any:
        url = q.get("url") or ""
        if not url:
            raise bad_request("url is required")
        removed = self.queue.unsubscribe(url)
        result: dict[str, Any] = {"success": removed}
        if not removed:
            result["message"] = f"No subscription for {url}"
        return result

    def _register_upload(
        self, kind: str, *, done: bool, size: int, url: str | None = None
    ) -> dict[str, Any]:
        with self._lock:
            self._ids += 1
            n = self._ids
            upload_id = f"{self._salt & 0xFFFF:04x}{n:08x}"
            token = f"{kind[0]}{self._salt:08x}{n:012x}tok"
            upload = {
                "id": upload_id,
                "type": kind,
                "token": token,
                "done": done,
                "size": size,
                "filename": f"file-{n}",
                "photo_id": 7_000_000_000 + n,
                "url": url or f"https://i.oneme.ru/i?r={token}",
            }
            self._uploads[upload_id] = upload
            self._tokens[token] = upload
            return upload

    def _get_upload_url(self, *, q: Mapping[str, str], body: Any) -> dict[str, Any]:
        """Step one of three: where to upload. Video and audio tokens come already here."""
        kind = q.get("type")
        if kind == "photo":
            raise bad_request("type=photo is no longer supported, use type=image")
        if kind not in ("image", "video", "audio", "file"):
            raise bad_request("type must be one of image, video, audio, file")
        upload = self._register_upload(kind, done=False, size=0)
        out: dict[str, Any] = {"url": f"{self.base_url}{UPLOAD_PATH}{upload['id']}"}
        if kind in ("video", "audio"):
            out["token"] = upload["token"]
        return out

    def _upload(
        self, upload_id: str, params: list[tuple[str, str]], headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """Step two: the binary (multipart ``data``) to the upload URL; no token needed.

        Answers what step three attaches: images ``{"photos": {key: {"token"}}}``, files
        ``{"token"}``; video and audio ``<retval>1</retval>`` (their token came in step one).
        """
        fault = self.begin_call("upload", params)
        if fault == HTTP500:
            return self.html_500()
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None:
                return self._error(not_found("Upload not found"))
            if not body:
                return self._error(bad_request("Empty upload"))
            upload["size"] = len(body)
            match = re.search(rb'filename="([^"]+)"', body[:2048])
            if match:
                upload["filename"] = match.group(1).decode("utf-8", "replace")
            upload["done"] = True
        if self.answer_lost("upload"):
            return ANSWER_LOST
        if upload["type"] == "image":
            key = f"{upload['photo_id']:x}"
            return self.json_reply({"photos": {key: {"token": upload["token"]}}})
        if upload["type"] == "file":
            return self.json_reply({"token": upload["token"]})
        return 200, "application/xml; charset=utf-8", UPLOAD_DONE_XML, {}
