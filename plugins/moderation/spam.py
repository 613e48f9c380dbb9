"""Advertising and scams: links, invitations, @handles, phone numbers and money-making phrases.

Why contacts need a second signal: residents quote phone numbers (the administration's own
reception with an area code, the housing office), e-mail addresses and @handles in ordinary
complaints. A number is spam only when the comment also *sells* something (a price, a service,
«недорого», «доставка», «заработок»); a mobile number with «звоните» / «пишите» is an offer too.
Links are different: a link to a site that is not on the official allowlist is spam by itself,
and one official link does not rescue a comment that also carries a foreign one.

The allowlist: ``gosuslugi.ru`` and its subdomains, any ``*.gov.ru``, a few federal sites, and
``settings["allow_domains"]`` (the municipality's own sites; an entry with a path such as
``vk.com/klochki`` allows only that page). Numbers: 8-800 hotlines, the short emergency numbers
and ``settings["allow_phones"]`` — an 8-800 number is never the spam signal, but an advertisement
that happens to give one is still caught by its wording. A host that merely *contains* an
official name (``gosuslugi-vyplata.ru``, ``gosuslugi.ru.kompensaciya-online.com``) is phishing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import words
from .normalize import _SPACED, _join_spaced
from .phrases import Hits, PhraseBook
from .spam_lexicon import register

OFFICIAL_DOMAINS = (
    "gosuslugi.ru", "госуслуги.рф", "gov.ru", "kremlin.ru", "government.ru", "mvd.ru",
    "мвд.рф", "rospotrebnadzor.ru", "nalog.ru", "cbr.ru", "izbirkom.ru", "mchs.ru", "мчс.рф",
    "pfr.ru", "sfr.ru", "fss.ru", "ffoms.ru", "rosreestr.ru", "xn--c1aapkosapc.xn--p1ai",
)  # fmt: skip
EMERGENCY = frozenset({"01", "02", "03", "04", "101", "102", "103", "104", "112", "122", "123"})

#: file extensions that look like a top-level domain after a dot
_NOT_TLD = words(
    """
    jpg jpeg png gif pdf doc docx xls xlsx txt zip rar mp3 mp4 avi mov html htm php exe csv ppt
    pptx odt rtf webp heic
    """
)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'«»()\[\]]+")
_DOMAIN = re.compile(
    r"(?<![\w@./-])((?:[a-zа-я0-9](?:[a-zа-я0-9-]*[a-zа-я0-9])?\.)+([a-z]{2,12}|рф|рус|онлайн))"
    r"(?![\w-])(/[^\s<>\"'«»()\[\]]*)?"
)
_OBFUSCATED_DOMAIN = re.compile(
    r"\b([a-z0-9-]{3,})\s*(?:\[\.\]|\(\.\)|\(dot\)|\[dot\]|\s+dot\s+|\s+точка\s+)\s*"
    r"(ru|com|net|org|рф|ру|ком|su|online|shop|site)\b"
)
_EMAIL = re.compile(r"[\w.+-]+@((?:[\w-]+\.)+[\w-]+)")
_HANDLE = re.compile(r"(?<![\w.@])@([a-z][a-z0-9_]{3,31})\b")
_PHONE = re.compile(
    r"(?<![\d+])(?:\+\s?7|8|7)?[\s\-–(]{0,3}\d{3,5}[\s\-–)]{0,3}\d{1,3}[\s\-–]?\d{2}[\s\-–]?\d{2}(?!\d)"
)
#: a stretch that could hold a phone number, letters O and l standing in for 0 and 1 («9OO»)
_PHONE_RUN = re.compile(r"[+\d(][\d\s\-–()oOоОlI]{8,}")
#: a dot between letters (or a spelled-out one): the only texts worth scanning for links
_LINK_HINT = re.compile(r"[a-zа-я0-9]\.[a-zа-я]|\[\.\]|\(\.\)")
_PHONE_TABLE = str.maketrans({"o": "0", "O": "0", "о": "0", "О": "0", "l": "1", "I": "1"})
_INVITE_HOSTS = ("t.me", "telegram.me", "wa.me", "chat.whatsapp.com", "vk.me", "tg.me")
_LOOKS_OFFICIAL = re.compile(r"gosuslug|госуслуг|gov|nalog|pfr|sfr|mchs|mvd|gibdd|rosreestr")


@dataclass(frozen=True)
class SpamHit:
    rule: str
    start: int
    end: int
    detail: str  # host, handle or number, for the reason sentence


#: ten digits or more, separators allowed: a full phone number, not a house or a local «2-11-38»
_LONG_NUMBER = re.compile(r"(?:\d[\s\-–()]{0,3}){9}\d")
#: VK's reply markup «[id123|Анна], …»: the person answered, not a contact (its id is long)
_VK_MENTION = re.compile(r"\[(?:id|club|public)\d+\|[^\]]*\]")
_SPELLED_DOT = re.compile(r"\[\.\]|\(\.\)|dot|точка")
_DIGIT = re.compile(r"\d")


def contact_in(text: str) -> str | None:
    """Which contact the text carries — ``link``, ``email``, ``mention`` or ``phone`` — or None.

    Unlike :meth:`Spam.find` this asks for no second signal and allows nothing: the flood rule
    uses it to tell a campaign (many people posting the same way to reach someone) from many
    residents saying the same everyday thing, where any contact at all is the tell.
    """
    if "[" in text:
        text = _VK_MENTION.sub(" ", text)
    low = text.lower()
    # each pattern only where its cheapest sign is present: most texts have none of them
    if ("://" in low or "www." in low) and _URL.search(low):
        return "link"
    if _SPELLED_DOT.search(low) and _OBFUSCATED_DOMAIN.search(low):
        return "link"
    if "@" in low:
        if _EMAIL.search(low):
            return "email"
        if _HANDLE.search(low):
            return "mention"
    if "." in low and any(m.group(2) not in _NOT_TLD for m in _DOMAIN.finditer(low)):
        return "link"
    if _DIGIT.search(text) and _LONG_NUMBER.search(text):
        return "phone"
    return None


def _clean_host(host: str) -> str:
    host = host.strip(".,;:!?/").split("@")[-1]
    return host[4:] if host.startswith("www.") else host


class Spam:
    """Judges the spam signals of one comment; built once per settings."""

    def __init__(self, book: PhraseBook, allow_domains=(), allow_phones=()) -> None:
        hosts, pages = [], []
        for entry in list(OFFICIAL_DOMAINS) + [str(d) for d in allow_domains or ()]:
            e = re.sub(r"^https?://", "", entry.strip().lower()).rstrip("/")
            e = e.removeprefix("www.").removeprefix("*.")
            (pages if "/" in e else hosts).append(e)
        self.hosts = tuple(hosts)
        self.pages = tuple(pages)
        self.phones = frozenset(self._digits(str(p)) for p in allow_phones or ())
        self.book = book
        register(book)

    @staticmethod
    def _digits(number: str) -> str:
        d = re.sub(r"\D", "", number)
        if len(d) == 11 and d[0] in "78":
            d = "7" + d[1:]
        elif len(d) == 10:
            d = "7" + d
        return d

    def official(self, host: str, path: str = "") -> bool:
        host = _clean_host(host)
        if any(host == h or host.endswith("." + h) for h in self.hosts):
            return True
        page = host + (path or "")
        return any(page == p or page.startswith(p + "/") for p in self.pages)

    def links(self, low: str) -> list[tuple[int, int, str, str]]:
        """(start, end, host, path) of every URL and bare domain in the lower-case text."""
        out = []
        masked = low
        for m in _URL.finditer(low):
            url = m.group().rstrip(".,;:!?")
            host, _, path = re.sub(r"^https?://", "", url).partition("/")
            host = re.split(r"[:?#]", host)[0]
            out.append((m.start(), m.start() + len(url), host, "/" + path if path else ""))
            masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end() :]
        for m in _DOMAIN.finditer(masked):
            if m.group(2) in _NOT_TLD:
                continue
            path = (m.group(3) or "").rstrip(".,;:!?")
            out.append((m.start(), m.end(1) + len(path), m.group(1), path))
        for m in _OBFUSCATED_DOMAIN.finditer(low):
            out.append((m.start(), m.end(), f"{m.group(1)}.{m.group(2)}", ""))
        return out

    def find(self, text: str, word: str, hits: Hits, spaced: bool = True) -> SpamHit | None:
        """The strongest spam signal of the comment, or None.

        ``word`` is the normalised text and ``hits`` its phrase scan; letters spaced out to
        dodge filters («з а р а б о т о к») are joined and scanned again (``spaced`` says
        whether there are any, see :func:`hub_moderation.normalize.has_spaced`).
        """
        low = None
        if ("." in word and _LINK_HINT.search(word)) or "точка" in word or "dot" in text.lower():
            low = text.lower()
            if len(low) != len(text):
                low = word
            for start, end, host, path in self.links(low):
                host = _clean_host(host)
                if self.official(host, path):
                    continue
                if host in _INVITE_HOSTS or any(host.endswith("." + h) for h in _INVITE_HOSTS):
                    return SpamHit("spam.invite", start, end, text[start:end])
                if _LOOKS_OFFICIAL.search(host):
                    return SpamHit("spam.phishing", start, end, host)
                return SpamHit("spam.link", start, end, host)
        joined = _SPACED.sub(_join_spaced, word) if spaced else word
        if joined != word:
            hits = self.book.scan(joined)
        whole = joined != word  # positions no longer match the original: quote it all
        for group, rule in (("invite", "spam.invite"), ("money", "spam.money")):
            ph = hits.first(group)
            if ph:
                return SpamHit(rule, *((0, len(text)) if whole else (ph.start, ph.end)), "")
        if "@" in text:
            if low is None:
                low = text.lower()
                if len(low) != len(text):
                    low = word
            for m in _HANDLE.finditer(low):
                handle = m.group(1)
                if hits.any("commerce") or handle.endswith("bot") or hits.any("handle_cue"):
                    return SpamHit("spam.handle", m.start(), m.end(), "@" + handle)
            for m in _EMAIL.finditer(low):
                if not self.official(m.group(1)) and hits.any("commerce"):
                    return SpamHit("spam.contact", m.start(), m.end(), m.group())
        return self._phone(text, hits)

    def _phone(self, text: str, hits: Hits) -> SpamHit | None:
        for run in _PHONE_RUN.finditer(text):
            chunk = run.group()
            if not any(ch.isdigit() for ch in chunk[:3]):
                continue
            hit = self._phone_in(text, chunk.translate(_PHONE_TABLE), run.start(), hits)
            if hit:
                return hit
        return None

    def _phone_in(self, text: str, chunk: str, offset: int, hits: Hits) -> SpamHit | None:
        for m in _PHONE.finditer(chunk):
            number = self._digits(m.group())
            if len(number) < 10 or number.startswith("7800") or number in self.phones:
                continue
            if number in EMERGENCY:
                continue
            mobile = len(number) == 11 and number[1] == "9"
            if hits.any("commerce") or (mobile and hits.any("contact_verb")):
                s, e = offset + m.start(), offset + m.end()
                while s < e and not (text[s].isdigit() or text[s] in "+oOоО"):
                    s += 1
                return SpamHit("spam.phone", s, e, text[s:e])
        return None
