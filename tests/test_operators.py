"""hub.operators (issue 16): scrypt hashes that name their cost, roles that say what an
operator may do, organizations that say where, and a disabled or re-passworded operator's
sessions ended at once."""

from __future__ import annotations

import pytest

from hub import operators
from hub.errors import HubError
from hub.store import Store
from hub.web.sessions import Sessions

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "hub.db")
    yield s
    s.close()


def test_a_hash_is_scrypt_salted_and_names_its_cost():
    first, second = operators.hash_password(PASSWORD), operators.hash_password(PASSWORD)
    assert first != second  # salted
    scheme, n, r, p, _salt, _digest = first.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**15, 8, 1)
    assert int(n) * int(r) * 128 >= 32 * 1024 * 1024  # memory-hard: 32 MiB a check
    assert operators.password_matches(PASSWORD, first)
    assert not operators.password_matches(PASSWORD + "!", first)
    assert not operators.password_matches(PASSWORD, "md5$abc")
    assert not operators.password_matches(PASSWORD, "scrypt$1$2$3$not base64$x")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", {"moderate", "write", "approve", "sync", "attestations"}),
        ("moderator", {"moderate", "sync"}),
        ("author", {"write"}),
        ("approver", {"approve"}),
        ("viewer", set()),
    ],
)
def test_each_role_may_do_only_its_own(role, allowed):
    operator = operators.Operator("x", role)
    assert {a for a in operators.PERMISSIONS if operator.may(a)} == allowed
    disabled = operators.Operator("x", role, disabled=True)
    assert not any(disabled.may(a) for a in operators.PERMISSIONS)


def test_organizations_limit_what_an_operator_sees():
    centre = operators.Operator("cur", "viewer")
    school = operators.Operator("school", "moderator", ("Школа №1",))
    assert centre.sees("Школа №1") and centre.sees("Администрация")
    assert school.sees("Школа №1") and not school.sees("Администрация")
    assert school.actor == "operator:school"


def test_add_refuses_duplicates_and_unknown_organizations(store):
    operators.add(store, "ivanova", "moderator", PASSWORD, ["A"], known_organizations={"A"})
    with pytest.raises(HubError, match="already exists"):
        operators.add(store, "ivanova", "viewer", PASSWORD)
    with pytest.raises(HubError, match="unknown organization 'B'"):
        operators.add(store, "petrov", "viewer", PASSWORD, ["B"], known_organizations={"A"})
    with pytest.raises(HubError, match="unknown role"):
        operators.add(store, "sidorov", "root", PASSWORD)
    assert [o.login for o in operators.all_operators(store)] == ["ivanova"]


def test_an_unknown_login_and_a_wrong_password_both_fail(store):
    operators.add(store, "ivanova", "moderator", PASSWORD)
    assert operators.authenticate(store, "ivanova", PASSWORD).role == "moderator"
    assert operators.authenticate(store, "ivanova", "wrong password") is None
    assert operators.authenticate(store, "nobody", PASSWORD) is None


@pytest.mark.parametrize("change", ["disable", "passwd"])
def test_disabling_or_a_new_password_ends_open_sessions(store, change):
    operator = operators.add(store, "ivanova", "moderator", PASSWORD)
    sessions = Sessions(b"k" * 32, hours=12)
    cookie = sessions.start(store, operator)
    assert sessions.find(store, cookie).operator.login == "ivanova"
    if change == "disable":
        operators.disable(store, "ivanova")
    else:
        operators.set_password(store, "ivanova", "a brand new password")
    assert sessions.find(store, cookie) is None


def test_a_cookie_signed_with_another_key_is_refused(store):
    operator = operators.add(store, "ivanova", "moderator", PASSWORD)
    cookie = Sessions(b"a" * 32, hours=12).start(store, operator)
    assert Sessions(b"b" * 32, hours=12).find(store, cookie) is None
    assert Sessions(b"a" * 32, hours=12).find(store, cookie) is not None
