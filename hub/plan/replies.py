"""Answers to residents' comments from approved templates, recorded like any other action.

An administration answers in words someone approved: a template is written,
then approved by name, and only an approved one can be sent. The reply itself
is an ``actions`` row (kind ``reply_comment``) recorded before and after the
call, keyed by the comment and the template, so running the same command again
never posts a second answer: the plugin is told the first may have gone out
and checks (VK also deduplicates on the guid) or asks a person to look.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from dataclasses import dataclass

from ..actions import ActionOutcome, StoredComment, begin_action, perform_action, record_success
from ..errors import ConfigError, HubError, NotFoundError
from ..moderation.pipeline import own_author_ids
from ..network import REPLY_COMMENT, ActionResult, ReplyRequest
from ..networks import NetworkPool
from ..store import Store, utcnow

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
#: what a template may mention; filled from the comment being answered
FIELDS = {"author"}


@dataclass
class Template:
    name: str
    text: str
    created_by: str
    created_at: str
    approved_by: str | None
    approved_at: str | None

    @property
    def approved(self) -> bool:
        return self.approved_by is not None


def _check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise ConfigError("the template has no text; give --text")
    try:
        fields = [f for f in string.Formatter().parse(text) if f[1] is not None]
    except ValueError as exc:
        raise ConfigError(f"the template's braces do not match ({exc}); write {{author}}") from None
    if any(spec or conversion for _, _, spec, conversion in fields):
        raise ConfigError(
            "the template formats a field (like {author:...} or {author!r}); write it plain, "
            "as {author}"
        )
    used = {name for _, name, _, _ in fields}
    unknown = used - FIELDS
    if unknown:
        raise ConfigError(
            f"the template mentions {{{sorted(unknown)[0]}}}; it may use only "
            + ", ".join("{" + f + "}" for f in sorted(FIELDS))
        )
    return text


def add_template(store: Store, name: str, text: str, by: str) -> Template:
    """Write a template, or rewrite one — which withdraws its approval."""
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"template name {name!r}: use lower-case latin letters, digits, - and _ (like thanks)"
        )
    text = _check_text(text)
    existing = store.db.execute(
        "SELECT text FROM reply_templates WHERE name = ?", [name]
    ).fetchone()
    if existing and existing[0] == text:  # the same words: the approval stands
        return get_template(store, name)
    now = utcnow()
    with store.transaction(immediate=True):
        store.db.execute(
            "INSERT INTO reply_templates (name, text, created_by, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET text = excluded.text, "
            "created_by = excluded.created_by, approved_by = NULL, approved_at = NULL, "
            "updated_at = excluded.updated_at",
            [name, text, by, now, now],
        )
    return get_template(store, name)


def get_template(store: Store, name: str) -> Template:
    row = store.db.execute(
        "SELECT name, text, created_by, created_at, approved_by, approved_at "
        "FROM reply_templates WHERE name = ?",
        [name],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no reply template {name!r}; 'hub templates list' shows them")
    return Template(*row)


def list_templates(store: Store) -> list[Template]:
    rows = store.db.execute(
        "SELECT name, text, created_by, created_at, approved_by, approved_at "
        "FROM reply_templates ORDER BY name"
    ).fetchall()
    return [Template(*r) for r in rows]


def approve_template(store: Store, name: str, by: str) -> Template:
    get_template(store, name)
    now = utcnow()
    with store.transaction():
        store.db.execute(
            "UPDATE reply_templates SET approved_by = ?, approved_at = ?, updated_at = ? "
            "WHERE name = ?",
            [by, now, now, name],
        )
    return get_template(store, name)


def _author_name(store: Store, network: str, author_id: int | None) -> str:
    if author_id is None:
        return ""
    row = store.db.execute(
        "SELECT name FROM authors WHERE network = ? AND network_id = ?", [network, author_id]
    ).fetchone()
    return (row[0] or "").split(" ")[0] if row else ""


def approved_template(store: Store, name: str) -> Template:
    """The template by name, if it is approved: only approved words are sent."""
    template = get_template(store, name)
    _require_approved(template)
    return template


def _require_approved(template: Template) -> None:
    if not template.approved:
        raise HubError(
            f"template {template.name!r} is not approved; "
            f"'hub templates approve {template.name}' first"
        )


async def reply(
    store: Store,
    networks: NetworkPool,
    comment: StoredComment,
    template: Template,
    *,
    requested_by: str = "cli",
    resend: bool = False,
) -> ActionOutcome:
    """Answer the comment with the approved template, as the community.

    ``resend``: a person looked and the earlier answer (one the hub could not
    verify) is not there — send it without asking the network to look first.
    ``hub reply`` reads what was typed with :func:`hub.actions.commands.reply`.
    """
    _require_approved(template)
    account, ref = comment.account, comment.ref
    text = template.text.format(author=_author_name(store, account.network, ref.author_id)).strip()
    return await send_reply(
        store, networks, comment, text, template.name, requested_by=requested_by, resend=resend
    )


async def send_reply(
    store: Store,
    networks: NetworkPool,
    comment: StoredComment,
    text: str,
    key_name: str,
    *,
    requested_by: str = "cli",
    resend: bool = False,
) -> ActionOutcome:
    """Answer the comment with ``text``, as the community, through the outbox, once.

    ``key_name`` makes the idempotency key with the comment: a template's name (one answer
    per template and comment), or ``appeal`` for an appeal's own answer (one per appeal).
    """
    template_name = key_name
    account, ref = comment.account, comment.ref
    if ref.author_id is not None and ref.author_id in own_author_ids(store, account):
        raise HubError(
            f"comment {comment.label} was written by the community itself; "
            "answer residents' comments"
        )
    if deleted := comment.deleted_at:
        raise HubError(
            f"comment {comment.label} was deleted ({deleted}); there is nothing to answer"
        )
    network = networks.get(account)
    if REPLY_COMMENT not in network.capabilities:
        raise HubError(network.missing(REPLY_COMMENT))
    key = f"reply_comment:{account.id}:{ref.network_id}:{template_name}"
    guid = "hubr" + hashlib.sha256(key.encode()).hexdigest()[:28]
    earlier = store.db.execute(
        "SELECT state, params_json FROM actions WHERE idempotency_key = ?", [key]
    ).fetchone()
    if earlier and earlier[0] in ("pending", "unknown", "manual"):
        # a send that may be up carried the text of then: look for that one, and
        # resend that one, even if the template has been rewritten since
        text = json.loads(earlier[1] or "{}").get("text") or text
    unsure = earlier is not None and earlier[0] in ("pending", "unknown", "manual")
    answered = earlier is not None and earlier[0] == "done"  # says where, sends nothing
    if resend and not unsure and not answered:
        raise HubError(
            "--resend is for an answer the hub could not verify; this one is "
            + (earlier[0] if earlier else "not sent yet")
        )
    params = {"comment_id": ref.network_id, "template": template_name, "text": text}
    action_id, prior = begin_action(
        store, key, account, "reply_comment", str(ref.network_id), params, requested_by
    )
    if prior == "done":  # answered before: say where, send nothing
        row = store.db.execute("SELECT result_json FROM actions WHERE id = ?", [action_id])
        data = json.loads(row.fetchone()[0] or "{}")
        detail = f"answered before: {data.get('url') or data.get('comment_id')}"
        return ActionOutcome(action_id, ActionResult(True, already=True, detail=detail))
    # an earlier attempt that may have gone out: the plugin must look before sending
    maybe_sent = prior in ("pending", "unknown", "manual") and not resend
    request = ReplyRequest(ref, text, guid, retry=maybe_sent)
    result = await perform_action(
        store, action_id, prior, account, network.reply_to_comment(request)
    )
    with store.transaction():
        record_success(store, action_id, result)
    return ActionOutcome(action_id, result)
