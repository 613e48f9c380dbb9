"""«Контент-план» over loopback: writing, approving, rejecting and publishing drafts as the
CLI does, the roles and the scope, CSRF, bad input, the linter's marks, and a double
"publish" that puts one post on the VK emulator."""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from hub import operators
from hub.config import load_config
from hub.plan import drafts
from hub.store import Store
from hub.web.console import Console
from hub_vk.emulator import VkEmulator
from tests.helpers import TOKEN, TOKEN_ENV, sync, write_config
from tests.web.conftest import PASSWORD, ServedConsole, add_operators, csrf_of, form, signed_in

ZONE = ZoneInfo("Europe/Moscow")
#: operators of this module beyond the shared ones: login → (role, organizations)
MORE = {"author-org1": ("author", ("Организация 1",)), "author2": ("author", ())}
BUREAUCRATESE = (
    "В рамках реализации мероприятий по благоустройству территории осуществляется "
    "проведение работ. Приходите на субботник!"
)


@dataclass
class PlanWorld:
    emu: VkEmulator
    config_path: Path
    url: str
    console: Console
    #: one signed-in client per login, shared by the module's tests (signing in costs scrypt)
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def store(self) -> Store:
        return Store.open(load_config(self.config_path).db_path)

    def draft(self, draft_id: int) -> drafts.Draft:
        store = self.store()
        try:
            return drafts.load_draft(store, draft_id)
        finally:
            store.close()

    def count_drafts(self) -> int:
        store = self.store()
        try:
            return store.db.execute("SELECT COUNT(*) FROM drafts").fetchone()[0]
        finally:
            store.close()

    def wall_texts(self, account: str) -> list[str]:
        """The texts on the emulator's wall of ``account`` (``acc-N``: its N-th community)."""
        gid = self.emu.community_ids()[int(account.split("-")[1]) - 1]
        with self.emu.lock:
            return [p.text for p in self.emu.state.communities[gid].posts.values()]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Two VK communities (acc-1 of «Организация 1», acc-2 of «Организация 2»), synced;
    the shared operators plus an author limited to Организация 1 and a second author."""
    folder = tmp_path_factory.mktemp("plan")
    with (
        VkEmulator(seed=5, communities=2, posts=3, comments=1, rate_limit=0, tokens=[TOKEN]) as emu,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv(TOKEN_ENV, TOKEN)
        mp.setenv("HUB_SECRETS", str(folder / "hub.secrets.json"))
        path = write_config(folder, emu)
        sync(path)
        add_operators(path)
        store = Store.open(load_config(path).db_path)
        try:
            for login, (role, orgs) in MORE.items():
                operators.add(store, login, role, PASSWORD, orgs)
        finally:
            store.close()
        console = Console(str(path))
        served = ServedConsole(console).start()
        planned = PlanWorld(emu, path, served.url, console)
        try:
            yield planned
        finally:
            for client in planned.clients.values():
                client.close()
            served.stop()
            console.close()


def user(world: PlanWorld, login: str) -> httpx.Client:
    """``login``'s client, signed in once for the module."""
    if login not in world.clients:
        world.clients[login] = signed_in(world, login)
    return world.clients[login]


def tomorrow() -> str:
    return (datetime.now(ZONE) + timedelta(days=1)).strftime("%d.%m.%Y") + " 09:00"


def write(
    client: httpx.Client, text: str, accounts=("acc-1",), when=None, title=""
) -> httpx.Response:
    token = form(client, "/plan/new")
    data = {"csrf": token, "text": text, "when": when or tomorrow(), "title": title}
    return client.post("/plan/new", data={**data, "account": list(accounts)})


def written(client: httpx.Client, text: str, **kw) -> int:
    answer = write(client, text, **kw)
    assert answer.status_code == 303, answer.text[:2000]
    found = re.fullmatch(r"/plan/drafts/(\d+)\?done=created", answer.headers["location"])
    assert found, answer.headers["location"]
    return int(found.group(1))


def act(client: httpx.Client, draft_id: int, action: str, **data) -> httpx.Response:
    token = form(client, f"/plan/drafts/{draft_id}")
    return client.post(f"/plan/drafts/{draft_id}/{action}", data={"csrf": token, **data})


def flash_error(page: str) -> str:
    found = re.search(r'<p class="flash error" role="alert">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


def changing_forms(html: str) -> list[str]:
    """The actions of the page's forms, bar signing out."""
    return [a for a in re.findall(r'<form[^>]*action="([^"]*)"', html) if a != "/logout"]


# --------------------------------------------------------------------------- write, approve


def test_an_author_writes_a_draft_and_an_approver_approves_it(world):
    author, approver = user(world, "author"), user(world, "approver")
    draft_id = written(author, "Субботник в парке в субботу, в 10 утра.", title="Субботник")
    page = author.get(f"/plan/drafts/{draft_id}?done=created")
    assert "записан" in page.text and "черновик, ждёт согласования" in page.text
    assert f"/plan/drafts/{draft_id}/approve" not in page.text  # an author does not approve
    draft = world.draft(draft_id)
    assert (draft.state, draft.created_by, draft.title) == ("draft", "author", "Субботник")
    assert [t.account_id for t in draft.targets] == ["acc-1"]
    assert draft.publish_at.astimezone(ZONE).strftime("%d.%m.%Y %H:%M") == tomorrow()

    page = approver.get(f"/plan/drafts/{draft_id}")
    assert f"/plan/drafts/{draft_id}/approve" in page.text
    answer = act(approver, draft_id, "approve")
    assert answer.status_code == 303
    assert "согласован: выйдет" in approver.get(answer.headers["location"]).text
    draft = world.draft(draft_id)
    assert (draft.state, draft.approved_by) == ("approved", "approver")  # as `--by approver`

    # a stale page: approving again says how the draft is now, and changes nothing
    stale = act(approver, draft_id, "approve")
    assert stale.status_code == 409
    assert "уже в состоянии «согласован» (approver" in flash_error(stale.text)
    assert world.draft(draft_id).approved_at == draft.approved_at


def test_with_separate_approval_nobody_approves_their_own_draft(world):
    admin = user(world, "admin")  # may write and approve
    draft_id = written(admin, "Приём граждан главой района — в четверг.")
    page = admin.get(f"/plan/drafts/{draft_id}")
    assert f"/plan/drafts/{draft_id}/approve" not in page.text
    assert "согласовать его должен другой человек" in page.text
    answer = act(admin, draft_id, "approve")
    assert answer.status_code == 403
    assert "separate_approval" in flash_error(answer.text)
    assert world.draft(draft_id).state == "draft"
    assert act(user(world, "approver"), draft_id, "approve").status_code == 303
    assert world.draft(draft_id).approved_by == "approver"


def test_the_library_refuses_approving_ones_own_when_told_to_separate(world):
    store = world.store()
    try:
        config = load_config(world.config_path)
        draft, _ = drafts.add_draft(
            store, world.console.pm, config, accounts=[config.account("acc-1")],
            text="Ярмарка выходного дня.", publish_at=datetime.now(ZONE), created_by="approver",
        )  # fmt: skip
        with pytest.raises(drafts.HubError, match="someone else must approve"):
            drafts.approve(store, config, draft.id, "approver", separate=True)
        assert drafts.load_draft(store, draft.id).state == "draft"
    finally:
        store.close()


def test_a_rejection_needs_a_reason_and_is_recorded(world):
    author, approver = user(world, "author"), user(world, "approver")
    draft_id = written(author, "Отключение воды на улице Ленина.")
    empty = act(approver, draft_id, "reject", reason="  ")
    assert empty.status_code == 400 and "напишите причину" in flash_error(empty.text)
    assert world.draft(draft_id).state == "draft"
    assert act(approver, draft_id, "reject", reason="Укажите часы").status_code == 303
    draft = world.draft(draft_id)
    assert (draft.state, draft.rejected_by, draft.reject_reason) == (
        "rejected",
        "approver",
        "Укажите часы",
    )
    page = author.get(f"/plan/drafts/{draft_id}")
    assert "Укажите часы" in page.text and "/edit" not in page.text
    again = act(approver, draft_id, "approve")
    assert again.status_code == 409 and "«отклонён» (approver" in flash_error(again.text)


# --------------------------------------------------------------------------- editing


def test_an_edit_of_an_approved_draft_sends_it_back_to_approval(world):
    author, approver = user(world, "author"), user(world, "approver")
    draft_id = written(author, "Концерт в доме культуры в пятницу.")
    token = form(author, f"/plan/drafts/{draft_id}/edit")
    data = {"csrf": token, "text": "Концерт в ДК в пятницу, в 18:00.", "when": tomorrow()}
    answer = author.post(f"/plan/drafts/{draft_id}/edit", data={**data, "account": ["acc-1"]})
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=saved")
    assert world.draft(draft_id).text == "Концерт в ДК в пятницу, в 18:00."

    assert act(approver, draft_id, "approve").status_code == 303
    page = author.get(f"/plan/drafts/{draft_id}/edit")
    assert "согласование снимется" in page.text
    data = {**data, "csrf": csrf_of(page.text), "text": "Концерт в ДК в субботу."}
    answer = author.post(
        f"/plan/drafts/{draft_id}/edit", data={**data, "account": ["acc-1", "acc-2"]}
    )
    assert answer.headers["location"].endswith("done=reapprove")
    assert "согласование снято" in author.get(answer.headers["location"]).text
    draft = world.draft(draft_id)
    assert (draft.state, draft.approved_by, draft.text) == (
        "draft",
        None,
        "Концерт в ДК в субботу.",
    )
    assert [t.account_id for t in draft.targets] == ["acc-1", "acc-2"]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("text", "accounts", "when", "says"),
    [
        ("   ", ("acc-1",), None, "напишите текст поста"),
        ("Текст", (), None, "отметьте хотя бы один аккаунт"),
        ("Текст", ("acc-9",), None, "аккаунт 'acc-9' не найден"),
        ("Текст", ("acc-1",), "32.13.2026 25:00", "не понимаю время «32.13.2026 25:00»"),
        ("Текст", ("acc-1",), "завтра", "не понимаю время «завтра»"),
    ],
)
def test_bad_input_is_a_message_and_keeps_what_was_typed(world, text, accounts, when, says):
    author = user(world, "author")
    before = world.count_drafts()
    answer = write(author, text, accounts=accounts, when=when, title="Моё название")
    assert answer.status_code == 400
    assert says in flash_error(answer.text), flash_error(answer.text)
    assert 'value="Моё название"' in answer.text  # nothing typed is lost
    if text.strip():
        assert f">{text}</textarea>" in answer.text
    assert world.count_drafts() == before


def test_unknown_drafts_are_not_found(world):
    viewer = user(world, "viewer")
    for path in ("/plan/drafts/999999", "/plan/drafts/abc", f"/plan/drafts/{2**64}"):
        answer = viewer.get(path)
        assert answer.status_code == 404, path
        assert "черновика №" in flash_error(answer.text)
    approver = user(world, "approver")
    token = form(approver, "/plan")
    answer = approver.post("/plan/drafts/999999/approve", data={"csrf": token})
    assert answer.status_code == 404 and "черновика №999999 нет" in flash_error(answer.text)


def test_a_bad_week_is_a_message_and_the_current_week_is_shown(world):
    page = user(world, "viewer").get("/plan?week=2026-13-45")
    assert page.status_code == 200
    assert "не понимаю неделю «2026-13-45»" in flash_error(page.text)
    assert "Контент-план: неделя" in page.text


# --------------------------------------------------------------------------- roles, CSRF, scope


def test_a_viewer_sees_no_form_and_every_post_is_refused(world):
    author = user(world, "author")
    draft_id = written(author, "День открытых дверей в школе искусств.")
    assert act(user(world, "approver"), draft_id, "approve").status_code == 303
    viewer = user(world, "viewer")
    for path in ("/plan", f"/plan/drafts/{draft_id}"):
        page = viewer.get(path)
        assert page.status_code == 200
        assert changing_forms(page.text) == [], path
        assert "/plan/new" not in page.text and "/edit" not in page.text
    assert viewer.get("/plan/new").status_code == 403
    assert viewer.get(f"/plan/drafts/{draft_id}/edit").status_code == 403
    token = form(viewer, "/plan")
    for action in ("approve", "reject", "publish", "edit"):
        answer = viewer.post(
            f"/plan/drafts/{draft_id}/{action}",
            data={"csrf": token, "reason": "x", "text": "x", "account": "acc-1", "when": "now"},
        )
        assert answer.status_code == 403, action
    answer = viewer.post(
        "/plan/new", data={"csrf": token, "text": "x", "account": "acc-1", "when": "now"}
    )
    assert answer.status_code == 403
    draft = world.draft(draft_id)
    assert draft.state == "approved" and draft.targets[0].state == "pending"
    assert draft.text == "День открытых дверей в школе искусств."


def test_an_author_may_not_approve_or_publish_and_an_approver_may_not_write(world):
    author, approver = user(world, "author"), user(world, "approver")
    draft_id = written(author, "Запись в кружки открыта.")
    assert act(author, draft_id, "approve").status_code == 403
    assert act(author, draft_id, "publish").status_code == 403
    assert approver.get("/plan/new").status_code == 403
    assert "/plan/new" not in approver.get("/plan").text
    assert write(author, "x").status_code != 403  # the author's form works
    token = form(approver, "/plan")
    answer = approver.post(
        "/plan/new", data={"csrf": token, "text": "x", "account": "acc-1", "when": "now"}
    )
    assert answer.status_code == 403
    assert world.draft(draft_id).state == "draft"


def test_a_post_without_the_csrf_token_is_refused(world):
    author = user(world, "author")
    before = world.count_drafts()
    data = {"text": "Без метки", "account": "acc-1", "when": tomorrow()}
    assert author.post("/plan/new", data=data).status_code == 403
    assert author.post("/plan/new", data={**data, "csrf": "forged"}).status_code == 403
    assert world.count_drafts() == before
    draft_id = written(author, "С меткой")
    approver = user(world, "approver")
    assert approver.post(f"/plan/drafts/{draft_id}/approve").status_code == 403
    assert world.draft(draft_id).state == "draft"


def test_an_operator_limited_to_an_organization_sees_and_acts_on_its_accounts_only(world):
    author, limited = user(world, "author"), user(world, "author-org1")
    other = written(author, "Новости второй организации.", accounts=("acc-2",))
    both = written(author, "Новости обеих организаций.", accounts=("acc-1", "acc-2"))
    week = (datetime.now(ZONE) + timedelta(days=1)).date().isoformat()
    page = limited.get(f"/plan?week={week}")
    assert 'data-account="acc-1"' in page.text and 'data-account="acc-2"' not in page.text
    assert f"/plan/drafts/{other}" not in page.text
    assert f"/plan/drafts/{both}" in page.text
    assert limited.get(f"/plan/drafts/{other}").status_code == 404
    shown = limited.get(f"/plan/drafts/{both}")
    assert shown.status_code == 200 and 'data-account="acc-2"' not in shown.text
    assert "вне ваших организаций: 1" in shown.text and "/edit" not in shown.text
    assert limited.get(f"/plan/drafts/{both}/edit").status_code == 403
    editor = limited.get("/plan/new").text
    assert 'value="acc-1"' in editor and 'value="acc-2"' not in editor
    answer = write(limited, "Чужой аккаунт", accounts=("acc-2",))
    assert answer.status_code == 400 and "аккаунт 'acc-2' не найден" in flash_error(answer.text)
    assert world.draft(other).state == "draft"


# --------------------------------------------------------------------------- what is shown


def test_the_linters_findings_are_marked_in_the_text_and_residents_markup_is_text(world):
    author = user(world, "author")
    draft_id = written(author, BUREAUCRATESE + " <script>alert(1)</script>")
    page = author.get(f"/plan/drafts/{draft_id}").text
    text = re.search(r'<div class="card post-text" id="draft-text">(.*?)</div>', page, re.S)
    assert text
    marks = re.findall(r'<mark class="lint ([^"]+)" title="([^"]*)">([^<]*)</mark>', text.group(1))
    assert (marks[0][0], marks[0][2]) == ("sev-3", "В рамках")
    assert "«на», «во время»" in html.unescape(marks[0][1])
    assert any(m[2] == "осуществляется" for m in marks)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text.group(1)
    assert "<script>alert" not in page
    assert "Замечания линтера" in page


def test_the_week_shows_drafts_on_their_day_with_their_state_and_the_forecast(world):
    author, approver = user(world, "author"), user(world, "approver")
    day = datetime.now(ZONE).date() + timedelta(days=8)  # next week: nothing else there
    when = day.strftime("%d.%m.%Y") + " 12:30"
    first = written(author, "Первый пост недели.", when=when)
    second = written(author, "Второй пост недели.", when=when)
    assert act(approver, first, "approve").status_code == 303
    page = user(world, "viewer").get(f"/plan?week={day.isoformat()}").text
    row = re.search(r'<tr data-account="acc-1">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    column = cells[day.weekday()]
    assert f"/plan/drafts/{first}" in column and f"/plan/drafts/{second}" in column
    assert "12:30" in column and ">согласован<" in column and "на согласовании" in column
    forecast = cells[7]
    assert "1 из 3" in forecast and "запланировано 1" in forecast  # only the approved one
    monday = day - timedelta(days=day.weekday())
    assert f"/plan?week={(monday - timedelta(days=7)).isoformat()}" in page
    assert f"/plan?week={(monday + timedelta(days=7)).isoformat()}" in page
    this_week = user(world, "viewer").get("/plan").text
    assert f"/plan/drafts/{first}" not in this_week


# --------------------------------------------------------------------------- publishing


def test_a_double_click_on_publish_puts_one_post_on_the_network(world, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, TOKEN)  # every test starts without HUB_* variables
    author, approver = user(world, "author"), user(world, "approver")
    text = "Публикуем один раз, сколько ни нажимай."
    draft_id = written(author, text, when=tomorrow())
    assert act(approver, draft_id, "approve").status_code == 303
    second = signed_in(world, "approver")  # another tab: its own session and token
    posts = [(c, form(c, f"/plan/drafts/{draft_id}")) for c in (approver, second)]
    calls = world.emu.stats()["by_method"].get("wall.post", 0)
    answers: list[httpx.Response] = []

    def click(client: httpx.Client, token: str) -> None:
        answers.append(client.post(f"/plan/drafts/{draft_id}/publish", data={"csrf": token}))

    world.emu.set_faults(slow_ms=400)  # the first send is still under way when the second comes
    try:
        threads = [threading.Thread(target=click, args=pair) for pair in posts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        world.emu.set_faults(slow_ms=0)
    assert [a.status_code for a in answers] == [200, 200], [flash_error(a.text) for a in answers]
    said = " ".join(html.unescape(a.text) for a in answers)
    assert "acc-1: опубликован" in said and "уже отправляется другим запросом" in said
    assert world.emu.stats()["by_method"].get("wall.post", 0) == calls + 1
    assert world.wall_texts("acc-1").count(text) == 1
    draft = world.draft(draft_id)
    assert draft.state == "published" and draft.targets[0].url
    page = approver.get(f"/plan/drafts/{draft_id}").text
    assert f'href="{draft.targets[0].url}"' in page and "опубликован" in page
    again = act(approver, draft_id, "publish")
    assert "уже опубликован везде" in again.text
    assert world.wall_texts("acc-1").count(text) == 1


def test_publishing_a_draft_not_yet_approved_is_refused_with_a_message(world):
    author, approver = user(world, "author"), user(world, "approver")
    draft_id = written(author, "Ещё не согласован.")
    answer = act(approver, draft_id, "publish")
    assert answer.status_code == 409 and "ещё не согласован" in flash_error(answer.text)
    assert "Ещё не согласован." not in world.wall_texts("acc-1")
