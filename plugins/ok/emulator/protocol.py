"""OK REST protocol rules the emulator enforces: errors, signature, auth order, anchors.

Kept apart from the methods because these rules apply to every call and are exactly
the ones a production client gets wrong (notes §1.2–§1.4): the md5 signature over
sorted raw UTF-8 values, the order in which OK reports a bad key, a missing, expired
or unknown token and a bad ``sig``, and the ``"NAME : text"`` error envelope.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Mapping, Set
from hashlib import md5

# Codes and names from https://apiok.ru/en/dev/errors (notes §1.4); 21, 121 and the 5xx/6xx
# media codes from the same table as mirrored in public clients (odnoklassniki-ruby Error::Code).
ERROR_NAMES = {
    1: "UNKNOWN",
    2: "SERVICE",
    3: "METHOD",
    4: "REQUEST",
    8: "FLOOD_BLOCKED",
    10: "PERMISSION_DENIED",
    21: "NOT_MULTIPART",
    100: "PARAM",
    101: "PARAM_API_KEY",
    102: "PARAM_SESSION_EXPIRED",
    103: "PARAM_SESSION_KEY",
    104: "PARAM_SIGNATURE",
    106: "PARAM_ENTITY_ID",
    121: "PARAM_PHOTO_ID",
    141: "PARAM_COMMENT_ID",
    160: "PARAM_GROUP_ID",
    500: "PHOTO_SIZE_LIMIT_EXCEEDED",
    503: "PHOTO_INVALID_FORMAT",
    505: "PHOTO_NO_IMAGE",
    600: "MEDIA_TOPIC_BLOCK_LIMIT",
    601: "MEDIA_TOPIC_TEXT_LIMIT",
    607: "MEDIA_TOPIC_LINK_BAD_FORMAT",
    9999: "SYSTEM",
}

# Parameters the signature never covers (notes §1.2 step 2).
UNSIGNED = frozenset({"access_token", "session_key", "sig"})


class OkError(Exception):
    """An OK API error: ``{"error_code", "error_msg": "NAME : text", "error_data": null}``."""

    def __init__(self, code: int, text: str) -> None:
        self.code = code
        self.msg = f"{ERROR_NAMES.get(code, 'UNKNOWN')} : {text}"
        super().__init__(f"{code} {self.msg}")

    def body(self) -> dict[str, object]:
        return {"error_code": self.code, "error_msg": self.msg, "error_data": None}


def missing(name: str) -> OkError:
    return OkError(100, f"Missed required parameter: {name}")


def invalid(name: str, why: str = "") -> OkError:
    return OkError(100, f"Invalid parameter {name}" + (f": {why}" if why else ""))


# --------------------------------------------------------------------------- signature


def session_secret(access_token: str, application_secret: str) -> str:
    """``lower(md5(access_token + application_secret_key))`` — the OAuth-call secret."""
    return md5((access_token + application_secret).encode("utf-8")).hexdigest()


def signature(params: Mapping[str, str], access_token: str, application_secret: str) -> str:
    """The ``sig`` OK expects: md5 of sorted ``k=v`` (raw UTF-8 values) + session secret."""
    base = "".join(f"{k}={params[k]}" for k in sorted(params) if k not in UNSIGNED)
    secret = session_secret(access_token, application_secret)
    return md5((base + secret).encode("utf-8")).hexdigest()


def signature_ok(params: Mapping[str, str], application_secret: str) -> bool:
    """Does the request's own ``sig`` match? Strict lower-case hex, as OK documents it."""
    sig = params.get("sig", "")
    if not sig:
        return False
    expected = signature(params, params.get("access_token", ""), application_secret)
    return hmac.compare_digest(sig.encode("utf-8"), expected.encode("ascii"))


def authenticate(
    params: Mapping[str, str],
    *,
    application_key: str,
    application_secret: str,
    tokens: Mapping[str, int],
    expired_tokens: Set[str],
) -> str:
    """Run OK's checks in OK's order and return the (valid) access token.

    Order: application key (101) → token present (100) → expired (102) → known (103)
    → signature (104) → ``format`` (100). A client that maps codes to actions
    (re-auth on 102/103, never retry 104) depends on seeing the right one first.
    """
    key = params.get("application_key", "")
    if not key:
        raise OkError(101, "No application key")
    if key != application_key:
        raise OkError(101, f"Application not exist: {key}")
    token = params.get("access_token", "")
    if not token:
        raise missing("access_token")
    if token in expired_tokens:
        raise OkError(102, "Session expired")
    if token not in tokens:
        raise OkError(103, "Invalid session key")
    if not signature_ok(params, application_secret):
        raise OkError(104, "Invalid signature")
    fmt = params.get("format")
    if fmt is not None and fmt.lower() != "json":
        raise invalid("format", "only json is supported")
    return token


# --------------------------------------------------------------------------- anchors


def encode_anchor(kind: str, owner: str, position: int) -> str:
    """An opaque paging anchor: clients must pass it back verbatim, never parse it."""
    raw = f"{kind}:{owner}:{position}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_anchor(anchor: str, kind: str, owner: str) -> int:
    """Position stored in an anchor from :func:`encode_anchor`; foreign anchors are 100."""
    try:
        raw = base64.urlsafe_b64decode(anchor + "=" * (-len(anchor) % 4)).decode("ascii")
        got_kind, got_owner, position = raw.split(":")
        if (got_kind, got_owner) == (kind, owner):
            return int(position)
    except ValueError:  # bad base64, non-ASCII, wrong shape: all just "invalid"
        pass
    raise invalid("anchor")
