"""Tests for the bureaucratese linter (hub.plan.lint)."""

import json
import time
from pathlib import Path

import pytest

from hub.plan.lint import Finding, LintReport, lint

EVAL = Path(__file__).parent / "data" / "bureaucratese_eval.jsonl"
THRESHOLD = 20.0


def _by_rule(report: LintReport, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule]


def _check_spans(text: str, report: LintReport) -> None:
    for f in report.findings:
        assert text[f.span[0] : f.span[1]] == f.match
        assert f.suggestion
        assert 1 <= f.severity <= 3


@pytest.mark.parametrize(
    ("text", "rule", "match", "hint"),
    [
        ("Собрание прошло в целях знакомства.", "kanc.v_celyah", "в целях", "чтобы"),
        ("В рамках праздника пройдёт ярмарка.", "kanc.v_ramkah", "В рамках", "во время"),
        ("Данный вопрос решён.", "kanc.dannyj", "Данный", "этот"),
        ("Ответ по данному вопросу дадим завтра.", "kanc.dannyj", "данному", "этот"),
        ("Мы осуществляем вывоз мусора.", "kanc.osushchestvlyat", "осуществляем", "делаем"),
        ("Бригада производит ремонт.", "kanc.proizvodit", "производит", "делать"),
        ("Парк является гордостью села.", "kanc.yavlyatsya", "является", "это"),
        ("В связи с ремонтом воды нет.", "kanc.v_svyazi_s", "В связи с", "из-за"),
        ("В соответствии с графиком придём.", "kanc.v_sootvetstvii_s", "В соответствии с", "по"),
        ("Вышеуказанные дома отключат.", "kanc.vysheukazannyj", "Вышеуказанные", "эти"),
        ("Заполните нижеследующие поля.", "kanc.nizhesleduyushchij", "нижеследующие", "эти"),
        (
            "В настоящее время воды нет.",
            "kanc.v_nastoyashchee_vremya",
            "В настоящее время",
            "сейчас",
        ),
        ("Нарушение имеет место.", "kanc.imeet_mesto", "имеет место", "есть"),
        (
            "На сегодняшний день всё готово.",
            "kanc.na_segodnyashnij_den",
            "На сегодняшний день",
            "сегодня",
        ),
        (
            "Хотим довести до сведения всех.",
            "kanc.dovesti_do_svedeniya",
            "довести до сведения",
            "сообщаем",
        ),
        ("Звоните по вопросу субсидий.", "kanc.po_voprosu", "по вопросу", "о"),
        ("Согласно графику, свет включат.", "kanc.soglasno", "Согласно", "по"),
    ],
)
def test_kanc_phrases(text, rule, match, hint):
    report = lint(text)
    _check_spans(text, report)
    found = _by_rule(report, rule)
    assert found, report.findings
    assert found[0].match == match
    assert text[found[0].span[0] : found[0].span[1]] == match
    assert hint in found[0].suggestion


def test_spans_point_into_original_text_after_prefix():
    text = "Привет, соседи!  Данный   вопрос решим. А ещё в целях экономии гасим свет."
    report = lint(text)
    _check_spans(text, report)
    (dannyj,) = _by_rule(report, "kanc.dannyj")
    assert dannyj.span == (text.index("Данный"), text.index("Данный") + len("Данный"))
    (celyah,) = _by_rule(report, "kanc.v_celyah")
    assert celyah.span[0] == text.index("в целях")


def test_innocent_lookalikes_are_clean():
    for text in (
        "Посмотрите данные опроса.",
        "По данным синоптиков, будет снег.",
        "В целом всё получилось.",
        "Рамка для фото стоит у клуба.",
        "В рамке висит портрет учителя.",
        "Каток открыт до десяти вечера.",
    ):
        report = lint(text)
        assert report.findings == [], (text, report.findings)
        assert report.score == 0


def test_verbal_noun_chain():
    text = "Начато осуществление проведения мероприятий по обеспечению порядка."
    report = lint(text)
    _check_spans(text, report)
    (chain,) = _by_rule(report, "chain.verbal_nouns")
    assert chain.match == "осуществление проведения мероприятий по обеспечению порядка"
    assert chain.severity == 3
    assert "глагол" in chain.suggestion
    assert not _by_rule(lint("Открытие катка перенесли."), "chain.verbal_nouns")


def test_passives():
    text = "Проведено собрание. Было организовано шествие. Уборка производится ночью."
    report = lint(text)
    _check_spans(text, report)
    short = _by_rule(report, "passive.short")
    assert [f.match for f in short] == ["Проведено", "Было организовано"]
    (refl,) = _by_rule(report, "passive.reflexive")
    assert refl.match == "производится"
    assert "кто" in refl.suggestion


def test_long_sentence_respects_limit():
    text = " ".join(["слово"] * 30) + "."
    (long,) = _by_rule(lint(text), "style.long_sentence")
    assert long.span == (0, len(text))
    assert "30" in long.suggestion
    assert not _by_rule(lint(text, max_sentence_words=40), "style.long_sentence")
    assert not _by_rule(lint("Короткое предложение."), "style.long_sentence")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Сообщаем, что завтра нет воды.", "Сообщаем"),
        ("Информируем жителей о ремонте.", "Информируем"),
        ("В рамках реализации проекта построим сквер.", "В рамках реализации"),
        ("Администрация поселения информирует о ремонте.", "Администрация поселения информирует"),
    ],
)
def test_press_release_openings(text, match):
    (found,) = _by_rule(lint(text), "press.opening")
    assert found.match == match
    assert found.span == (0, len(match))


def test_press_opening_only_at_sentence_start():
    assert not _by_rule(lint("Мы с радостью информируем вас."), "press.opening")


def test_score_orders_bureaucratic_above_plain_rewrite():
    pairs = [
        (
            "В целях обеспечения безопасности осуществляется проведение ремонта моста.",
            "Чтобы по мосту было безопасно ездить, мы его ремонтируем.",
        ),
        (
            "Сообщаем, что в связи с аварией подача воды производится по графику.",
            "Из-за аварии воду даём по графику — он ниже.",
        ),
        (
            "Данное мероприятие является традиционным для нашего поселения.",
            "Этот праздник у нас проходит каждый год.",
        ),
    ]
    for bureaucratic, plain in pairs:
        high, low = lint(bureaucratic).score, lint(plain).score
        assert high > low, (bureaucratic, high, plain, low)
        assert high >= THRESHOLD > low
    assert lint("").score == 0 and lint("").findings == []
    assert 0 <= lint("Данный " * 50).score <= 100


def test_quality_floor_on_labeled_set():
    rows = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines()]
    labels = [r["label"] for r in rows]
    assert len(rows) >= 120
    assert labels.count("plain") == labels.count("bureaucratic")
    started = time.perf_counter()
    flagged = [lint(r["text"]).score >= THRESHOLD for r in rows]
    elapsed = time.perf_counter() - started
    tp = sum(f and lab == "bureaucratic" for f, lab in zip(flagged, labels, strict=True))
    fp = sum(f and lab == "plain" for f, lab in zip(flagged, labels, strict=True))
    fn = sum(not f and lab == "bureaucratic" for f, lab in zip(flagged, labels, strict=True))
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    msg = f"precision={precision:.3f} recall={recall:.3f} at score>={THRESHOLD}"
    assert precision >= 0.95, msg
    assert recall >= 0.95, msg
    assert elapsed < 2.0, f"{elapsed:.2f}s"


def test_cli_plan_lint():
    import json

    from .test_cli import hub

    result = hub("plan", "lint", "--json", "--text", "В целях обеспечения безопасности сообщаем.")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["score"] > 0 and any(f["rule"].startswith("kanc.") for f in report["findings"])
    plain = hub("plan", "lint", "--text", "Приходите в субботу на субботник!")
    assert plain.returncode == 0 and plain.stdout.strip().startswith("score 0 of 100")
