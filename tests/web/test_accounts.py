"""Аккаунты (issue 16): sync health per visible account, "check" and "sync now" through the
library ``hub accounts check`` and ``hub sync`` use, with roles, scope, CSRF, a refused
or missing token said on the page (never the token), and a double click run once."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from hub.tokens import SecretsFile, StoredToken
from tests.helpers import TOKEN, TOKEN_ENV
from tests.web.conftest import form, signed_in

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def token(monkeypatch):
    """The accounts' token, in the console's (this process's) environment."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


def _post(client: httpx.Client, path: str, htmx: bool = True) -> httpx.Response:
    token = form(client, "/accounts")
    return client.post(path, data={"csrf": token}, headers=HTMX if htmx else {})


def _runs(world, account_id: str) -> int:
    store = world.store()
    try:
        return store.db.execute(
            "SELECT COUNT(*) FROM sync_runs WHERE account_id = ?", [account_id]
        ).fetchone()[0]
    finally:
        store.close()


def _section(page: str, account_id: str) -> str:
    """The account's own rows of the page (its ``<tbody>``)."""
    start = page.index(f'data-account="{account_id}"')
    return page[start : page.index("</tbody>", start)]


def test_the_admin_sees_both_accounts_grouped_by_organization_with_their_last_sync(world):
    page = signed_in(world, "admin").get("/accounts")
    assert page.status_code == 200
    text = page.text
    assert text.index("<h2>Организация 1</h2>") < text.index("<h2>Организация 2</h2>")
    for account_id in ("acc-1", "acc-2"):
        rows = _section(text, account_id)
        assert "успешно" in rows and "UTC" in rows  # the last sync's outcome and time
        assert 'class="badge green"' in rows
        assert f"/accounts/{account_id}/sync" in rows and "Проверить" in rows
        assert f"из переменной {TOKEN_ENV}" in rows
    assert TOKEN not in text


def test_a_limited_moderator_sees_their_organization_only_and_cannot_act_elsewhere(world):
    client = signed_in(world, "moder-org1")
    page = client.get("/accounts").text
    assert 'data-account="acc-1"' in page and 'data-account="acc-2"' not in page
    assert "Организация 2" not in page
    before = _runs(world, "acc-2")
    assert _post(client, "/accounts/acc-2/sync", htmx=False).status_code == 404
    assert _post(client, "/accounts/acc-2/check", htmx=False).status_code == 404
    assert _post(client, "/accounts/nope/sync", htmx=False).status_code == 404
    assert _runs(world, "acc-2") == before


def test_sync_now_stores_a_new_comment_and_says_what_it_did(world):
    gid = world.emu.community_ids()[0]
    post = max(int(p) for p in world.emu.snapshot()["communities"][str(gid)]["posts"])
    comment_id = world.emu.add_comment(gid, post, "Когда починят дорогу?", from_id=880001)
    client = signed_in(world, "moder")
    answer = _post(client, "/accounts/acc-1/sync")
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith("<tbody")  # the account's rows, swapped in place
    assert "Синхронизация завершена" in answer.text
    assert "комментарии: новых 1" in answer.text
    store = world.store()
    try:
        row = store.db.execute(
            "SELECT text FROM comments WHERE account_id = 'acc-1' AND network_id = ?",
            [comment_id],
        ).fetchone()
    finally:
        store.close()
    assert row == ("Когда починят дорогу?",)


def test_without_htmx_the_result_is_on_the_whole_page(world):
    answer = _post(signed_in(world, "admin"), "/accounts/acc-2/sync", htmx=False)
    assert answer.status_code == 200
    assert "<h1>Аккаунты</h1>" in answer.text
    assert "Синхронизация завершена" in _section(answer.text, "acc-2")
    assert "Синхронизация завершена" not in _section(answer.text, "acc-1")


def test_the_viewer_sees_no_button_and_their_post_is_refused(world):
    client = signed_in(world, "viewer")
    page = client.get("/accounts").text
    assert 'data-account="acc-1"' in page and 'data-account="acc-2"' in page
    assert "/sync" not in page and "/check" not in page and '<button type="submit">' not in page
    before = _runs(world, "acc-1")
    for path in ("/accounts/acc-1/sync", "/accounts/acc-1/check"):
        assert _post(client, path, htmx=False).status_code == 403
    answer = _post(client, "/accounts/acc-1/sync")
    assert "не позволяет это действие" in answer.text and answer.headers["hx-retarget"] == "#flash"
    assert _runs(world, "acc-1") == before


@pytest.mark.parametrize("login", ["author", "approver"])
def test_authors_and_approvers_see_no_buttons_either(world, login):
    client = signed_in(world, login)
    assert "/sync" not in client.get("/accounts").text
    assert _post(client, "/accounts/acc-1/sync", htmx=False).status_code == 403


def test_a_post_without_its_csrf_token_is_refused(world):
    client = signed_in(world, "admin")
    before = _runs(world, "acc-1")
    assert client.post("/accounts/acc-1/sync", data={}).status_code == 403
    assert client.post("/accounts/acc-1/sync", data={"csrf": "forged"}).status_code == 403
    assert client.post("/accounts/acc-1/check", data={}).status_code == 403
    assert _runs(world, "acc-1") == before


def test_the_check_shows_what_hub_accounts_check_says(world):
    answer = _post(signed_in(world, "admin"), "/accounts/acc-1/check")
    assert answer.status_code == 200
    assert "Проверка: всё в порядке" in answer.text
    assert "в порядке: " in answer.text  # one line per right, as the CLI prints them
    assert f"постоянный токен из ${TOKEN_ENV}" in answer.text  # the CLI's line, in Russian
    assert TOKEN not in answer.text


def test_a_refused_token_is_said_clearly_and_never_shown(world, monkeypatch):
    wrong = "vk1.a.refused-token-5555"
    monkeypatch.setenv(TOKEN_ENV, wrong)
    client = signed_in(world, "admin")
    synced = _post(client, "/accounts/acc-2/sync")
    assert synced.status_code == 200
    assert "Синхронизация не удалась: сеть отклонила токен" in synced.text
    assert f"${TOKEN_ENV}" in synced.text  # the variable to fix is named
    checked = _post(client, "/accounts/acc-2/check")
    assert "ПРОБЛЕМА" in checked.text and "Проверка: проблем — 1" in checked.text
    page = client.get("/accounts").text
    rows = _section(page, "acc-2")
    assert 'class="badge red"' in rows and "сеть отклонила токен" in rows
    assert 'class="badge red"' not in _section(page, "acc-1")
    for text in (synced.text, checked.text, page):
        assert wrong not in text and "refused-token" not in text
        assert TOKEN not in text and "Traceback" not in text
    monkeypatch.setenv(TOKEN_ENV, TOKEN)  # a good token again: green again
    assert "Синхронизация завершена" in _post(client, "/accounts/acc-2/sync").text
    assert 'class="badge green"' in _section(client.get("/accounts").text, "acc-2")


def test_a_missing_token_variable_is_said_and_nothing_runs(world, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV)
    client = signed_in(world, "admin")
    rows = _section(client.get("/accounts").text, "acc-1")
    assert (
        'class="badge red"' in rows and f"токен не найден: переменная {TOKEN_ENV} не задана" in rows
    )
    before = _runs(world, "acc-1")
    answer = _post(client, "/accounts/acc-1/sync")
    assert "Синхронизация не запущена: нет токена" in answer.text
    assert f"acc-1 (переменная {TOKEN_ENV} не задана)" in answer.text
    checked = _post(client, "/accounts/acc-1/check")
    assert "ПРОБЛЕМА" in checked.text and TOKEN_ENV in checked.text
    assert _runs(world, "acc-1") == before


def test_a_rate_limit_pause_is_shown_and_sync_now_waits_for_it(world):
    store = world.store()
    try:
        with store.transaction():
            store.update_sync_state(
                "acc-1", paused_until="2999-01-01T00:00:00Z", pause_reason="error 29: limit"
            )
    finally:
        store.close()
    client = signed_in(world, "admin")
    try:
        rows = _section(client.get("/accounts").text, "acc-1")
        assert 'class="badge yellow"' in rows
        assert "приостановлен до 2999-01-01 00:00 UTC" in rows and "error 29: limit" in rows
        answer = _post(client, "/accounts/acc-1/sync")
        assert "Синхронизация отложена" in answer.text
    finally:
        store = world.store()
        try:
            with store.transaction():
                store.update_sync_state("acc-1", paused_until=None, pause_reason=None)
        finally:
            store.close()


def test_two_clicks_at_once_run_one_sync(world):
    client = signed_in(world, "admin")
    token = form(client, "/accounts")
    before = _runs(world, "acc-1")
    answers: list[str] = []

    def click() -> None:
        with httpx.Client(base_url=world.url, cookies=client.cookies, timeout=20) as other:
            answers.append(
                other.post("/accounts/acc-1/sync", data={"csrf": token}, headers=HTMX).text
            )

    world.emu.set_faults(slow_ms=400)  # the first sync is still running at the second click
    try:
        clicks = [threading.Thread(target=click) for _ in range(2)]
        for thread in clicks:
            thread.start()
        for thread in clicks:
            thread.join(timeout=30)
    finally:
        world.emu.set_faults(slow_ms=0)
    assert len(answers) == 2
    assert sum("Синхронизация завершена" in a for a in answers) == 1
    assert sum("синхронизация этого аккаунта уже идёт" in a for a in answers) == 1
    assert _runs(world, "acc-1") == before + 1


def test_a_network_error_is_a_clear_message_not_a_traceback(world):
    client = signed_in(world, "admin")
    world.emu.set_faults(http500=1000)  # every retry answers an HTML 500
    try:
        synced = _post(client, "/accounts/acc-1/sync")
        checked = _post(client, "/accounts/acc-1/check")
    finally:
        world.emu.set_faults(http500=0)
    assert synced.status_code == checked.status_code == 200
    assert "Синхронизация не удалась" in synced.text
    assert "ПРОБЛЕМА" in checked.text
    for answer in (synced, checked):
        assert "Traceback" not in answer.text and TOKEN not in answer.text
    assert 'class="badge red"' in _section(client.get("/accounts").text, "acc-1")
    assert "Синхронизация завершена" in _post(client, "/accounts/acc-1/sync").text


def test_a_stored_token_about_to_expire_is_yellow_and_never_shown(world):
    secrets = SecretsFile.beside(world.config_path)
    secret = "vk1.a.stored-expiring-7777"
    stored = StoredToken("vk", secret, kind="fixed", expires_at=time.time() + 3 * 24 * 3600)
    with secrets.locked():
        secrets.put("acc-2", stored)
    try:
        page = signed_in(world, "viewer").get("/accounts").text
    finally:
        with secrets.locked():
            secrets.put("acc-2", None)
    rows = _section(page, "acc-2")
    assert 'class="badge yellow"' in rows and "сохранённый («hub auth»)" in rows
    assert "истекает" in rows and "hub auth vk acc-2" in rows
    assert secret not in page and "stored-expiring" not in page
