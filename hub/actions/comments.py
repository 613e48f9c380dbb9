"""Deleting a comment on its network, and bringing a deleted one back.

Both take the comment as the store has it (:class:`~hub.actions.refs.StoredComment`)
and the run's :class:`~hub.networks.NetworkPool`: the account's network is
taken from it only once the action is really to be sent, so an action done
before, or refused before anything is sent, needs no token and opens nothing.
"""

from __future__ import annotations

from ..errors import HubError
from ..moderation import audit
from ..network import BAN_USER, BLOCK_AUTHOR, DELETE_COMMENT, RESTORE_COMMENT, RESTRICT_USER
from ..networks import NetworkPool
from ..store import Store, utcnow
from .outbox import ActionOutcome, begin_action, finished_outcome, perform_action, record_success
from .refs import StoredComment
from .undo import answer, last_undoable, refuse_unsettled, retire


def delete_key(comment: StoredComment) -> str:
    """One deletion per comment, whoever asks and however often."""
    return f"delete_comment:{comment.account.id}:{comment.network_id}"


async def delete_comment(
    store: Store,
    networks: NetworkPool,
    comment: StoredComment,
    *,
    requested_by: str = "cli",
    block_author: bool = False,
    skip_done: bool = False,
) -> ActionOutcome:
    """Delete the comment on its network (``skip_done``: not again if already done)."""
    account = comment.account
    key = delete_key(comment)
    if skip_done and (earlier := finished_outcome(store, key)):
        return earlier
    network = networks.get(account)
    for needed in (DELETE_COMMENT, BLOCK_AUTHOR) if block_author else (DELETE_COMMENT,):
        if needed not in network.capabilities:
            raise HubError(network.missing(needed))
    params = {"comment_id": comment.network_id, "block_author": block_author}
    action_id, prior = begin_action(
        store, key, account, "delete_comment", str(comment.network_id), params, requested_by
    )
    result = await perform_action(
        store,
        action_id,
        prior,
        account,
        network.delete_comment(comment.ref, block_author=block_author),
    )
    with store.transaction():
        record_success(store, action_id, result)
        if result.done:
            store.mark_comment_deleted_by_hub(comment.hub_id)
    return ActionOutcome(action_id, result)


async def restore_comment(
    store: Store,
    networks: NetworkPool,
    comment: StoredComment,
    *,
    requested_by: str = "cli",
) -> ActionOutcome:
    """Bring a deleted comment back on its network (VK ``wall.restoreComment``).

    The verdict that deleted it is overturned (kept by ``requested_by``): the
    pipeline neither deletes it again nor counts it against its author.
    """
    account = comment.account
    key_deleted = delete_key(comment)
    undoes = last_undoable(store, account.id, ("delete_comment",), str(comment.network_id))
    verdict = store.db.execute(
        "SELECT id, category, rule FROM verdicts WHERE comment_id = ? AND decision = 'delete'",
        [comment.hub_id],
    ).fetchone()
    refuse_unsettled(
        store,
        "restore the comment",
        "idempotency_key = ? OR idempotency_key LIKE ?",
        [key_deleted, f"%:verdict-{verdict[0]}" if verdict else key_deleted],
    )
    network = networks.get(account)
    if RESTORE_COMMENT not in network.capabilities:
        raise HubError(network.missing(RESTORE_COMMENT))
    key = f"restore_comment:{account.id}:{comment.network_id}:{undoes}"
    params = {"comment_id": comment.network_id, "undoes_action": undoes or None}
    action_id, prior = begin_action(
        store, key, account, "restore_comment", str(comment.network_id), params, requested_by
    )
    result = await perform_action(
        store, action_id, prior, account, network.restore_comment(comment.ref)
    )
    with store.transaction(immediate=True):
        if result.done:
            store.mark_comment_restored_by_hub(comment.hub_id)
            retire(store, key_deleted, "restored", action_id)
            if verdict:
                result.detail += _overturn(store, verdict[0], requested_by, account.id)
        record_success(store, action_id, result)
        audit.append(
            store,
            account_id=account.id,
            comment_id=comment.hub_id,
            actor=requested_by,
            event="restore_comment",
            category=verdict[1] if verdict else None,
            rule=verdict[2] if verdict else None,
            comment_text=comment.text,
            network_answer=answer(result),
            action_id=action_id,
        )
    return ActionOutcome(action_id, result)


def _overturn(store: Store, verdict_id: int, actor: str, account_id: str) -> str:
    """The verdict that deleted a restored comment becomes "kept by the operator"."""
    store.db.execute(
        "UPDATE verdicts SET decision = 'keep', status = 'rejected', decided_by = ?, "
        "updated_at = ? WHERE id = ?",
        [actor, utcnow(), verdict_id],
    )
    row = store.db.execute(
        "SELECT id, target FROM actions WHERE idempotency_key LIKE ? AND state = 'done' "
        "AND kind IN (?, ?) ORDER BY id DESC LIMIT 1",
        [f"%:verdict-{verdict_id}", BAN_USER, RESTRICT_USER],
    ).fetchone()
    if not row:
        return ""
    return (
        f"; its author is still restricted by action #{row[0]}: "
        f"'hub users unban {account_id} {row[1]}' lifts it"
    )
