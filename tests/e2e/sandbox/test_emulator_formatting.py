"""HTML, MarkdownV2 and Markdown turn into text and entities with UTF-16 offsets, as on Telegram."""

from __future__ import annotations

import pytest

from sandbox.errors import ApiError
from sandbox.formatting import format_text


def test_html_tags_become_entities_with_utf16_offsets() -> None:
    text, entities = format_text("😀 <b>Đạt <i>98%</i></b> &lt;ok&gt;", "HTML")
    assert text == "😀 Đạt 98% <ok>"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 7},
        {"type": "italic", "offset": 7, "length": 3},
    ]


def test_html_links_pre_with_language_spoilers_and_quotes_are_understood() -> None:
    source = (
        '<a href="https://example.org/?a=1&amp;b=2">xem</a> '
        '<pre><code class="language-python">x = 1</code></pre> '
        '<span class="tg-spoiler">bí mật</span> <blockquote expandable>trích</blockquote>'
    )
    text, entities = format_text(source, "html")
    assert text == "xem x = 1 bí mật trích"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 3, "url": "https://example.org/?a=1&b=2"},
        {"type": "pre", "offset": 4, "length": 5, "language": "python"},
        {"type": "spoiler", "offset": 10, "length": 6},
        {"type": "expandable_blockquote", "offset": 17, "length": 5},
    ]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("Đạt <b", "Unclosed start tag at byte offset 7"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ],
)
def test_bad_html_cannot_be_parsed(source: str, reason: str) -> None:
    with pytest.raises(ApiError) as caught:
        format_text(source, "HTML")
    assert caught.value.code == 400
    assert caught.value.description == f"Bad Request: can't parse entities: {reason}"


def test_markdown_v2_understands_escapes_links_code_and_nesting() -> None:
    source = "*Đạt _98\\.5%_* __gạch__ ~xoá~ ||ẩn|| [xem](https://example.org/a\\)b) `a\\`b` 1\\+1"
    text, entities = format_text(source, "MarkdownV2")
    assert text == "Đạt 98.5% gạch xoá ẩn xem a`b 1+1"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 9},
        {"type": "italic", "offset": 4, "length": 5},
        {"type": "underline", "offset": 10, "length": 4},
        {"type": "strikethrough", "offset": 15, "length": 3},
        {"type": "spoiler", "offset": 19, "length": 2},
        {"type": "text_link", "offset": 22, "length": 3, "url": "https://example.org/a)b"},
        {"type": "code", "offset": 26, "length": 3},
    ]


def test_markdown_v2_pre_blocks_and_quotes() -> None:
    text, entities = format_text("```python\nprint(1)\n```\n>trích\n>dẫn\nhết", "MarkdownV2")
    assert text == "print(1)\n\ntrích\ndẫn\nhết"
    assert entities == [
        {"type": "pre", "offset": 0, "length": 9, "language": "python"},
        {"type": "blockquote", "offset": 10, "length": 9},
    ]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("Đạt 98.5%", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("a-b", "Character '-' is reserved and must be escaped with the preceding '\\'"),
        ("*bold", "Can't find end of Bold entity at byte offset 0"),
        ("ok _nghiêng", "Can't find end of Italic entity at byte offset 3"),
        ("`code", "Can't find end of Code entity at byte offset 0"),
    ],
)
def test_unescaped_or_unclosed_markdown_v2_cannot_be_parsed(source: str, reason: str) -> None:
    with pytest.raises(ApiError) as caught:
        format_text(source, "MarkdownV2")
    assert caught.value.description == f"Bad Request: can't parse entities: {reason}"


def test_legacy_markdown_is_understood_and_its_unclosed_entities_refused() -> None:
    text, entities = format_text("*đậm* _nghiêng_ [xem](https://example.org) 1.5", "Markdown")
    assert text == "đậm nghiêng xem 1.5"
    assert [e["type"] for e in entities] == ["bold", "italic", "text_link"]
    with pytest.raises(ApiError) as caught:
        format_text("*đậm", "Markdown")
    assert "Can't find end of the entity starting at byte offset 0" in caught.value.description


def test_surrounding_whitespace_is_trimmed_and_entities_follow() -> None:
    text, entities = format_text("  \n<b> đậm </b>  ", "HTML")
    assert text == "đậm"
    assert entities == [{"type": "bold", "offset": 0, "length": 3}]


def test_commands_mentions_hashtags_and_links_are_found_in_plain_text() -> None:
    text, entities = format_text(
        "😀 /start@my_bot hi @lan_nguyen #quy3 https://example.org.", None
    )
    assert text.startswith("😀")
    found = {
        (
            e["type"],
            text.encode("utf-16-le")[e["offset"] * 2 : (e["offset"] + e["length"]) * 2].decode(
                "utf-16-le"
            ),
        )
        for e in entities
    }
    assert found == {
        ("bot_command", "/start@my_bot"),
        ("mention", "@lan_nguyen"),
        ("hashtag", "#quy3"),
        ("url", "https://example.org"),
    }


def test_nothing_is_found_inside_code() -> None:
    _, entities = format_text("<code>/start</code> /help", "HTML")
    assert [(e["type"], e["offset"]) for e in entities] == [("code", 0), ("bot_command", 7)]


def test_an_unknown_parse_mode_is_refused() -> None:
    with pytest.raises(ApiError) as caught:
        format_text("x", "BBCode")
    assert caught.value.description == "Bad Request: unsupported parse_mode BBCode"
