"""The one-pass check in :mod:`hub.safe_text` finds exactly the characters ``_unsafe`` names
but newlines and tabs (kept by both filters), so skipping the per-character filter for text
without them changes no output."""

from __future__ import annotations

from hub.safe_text import _ANY_UNSAFE, _SPACE_OR_BACKSLASH, _unsafe, public_text, terminal_text


def test_the_fast_path_matches_the_character_rule():
    for code in range(0x110000):
        ch = chr(code)
        assert bool(_ANY_UNSAFE.search(ch)) == (_unsafe(ch) and ch not in "\n\t"), hex(code)


def test_text_with_and_without_unsafe_characters():
    plain = "Администрация «Заречное» — пн–пт 9:00–17:00\n\tадрес"
    assert public_text(plain) is plain and terminal_text(plain) is plain
    assert public_text("a\u202eb\x00c\r\nd\ud800") == "abc\nd\ufffd"
    assert terminal_text("a\x1b[2Jb") == "a\\u001b[2Jb"


def test_safe_urls_one_pass_refuses_exactly_what_the_per_character_rule_did():
    """``safe_url`` refuses any unsafe character, whitespace or backslash in two regex
    passes; over every code point that is the old per-character rule to the letter."""
    for code in range(0x110000):
        ch = chr(code)
        old = _unsafe(ch) or ch.isspace() or ch == "\\"
        assert bool(_ANY_UNSAFE.search(ch) or _SPACE_OR_BACKSLASH.search(ch)) == old, hex(code)
