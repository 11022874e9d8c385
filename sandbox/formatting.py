"""Telegram's text formatting: HTML, MarkdownV2 and legacy Markdown into text plus entities.

Offsets and lengths are in UTF-16 code units, as the Bot API counts them. Errors carry the
texts Telegram's server sends after "Bad Request: can't parse entities: ".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ApiError, bad_request

Entity = dict[str, Any]

ENTITY_FIELDS = ("type", "offset", "length", "url", "user", "language", "custom_emoji_id")
ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    }
)


def utf16_len(text: str) -> int:
    """The length of text in UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


class _ParseError(Exception):
    pass


def _entity_error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


@dataclass
class _Open:
    tag: str
    kind: str
    start: int
    byte_offset: int
    extra: dict[str, Any] = field(default_factory=dict)
    merged: bool = False


class _Builder:
    """Collects output text and entities, tracking the UTF-16 position."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[Entity] = []

    def emit(self, text: str) -> None:
        self.parts.append(text)
        self.pos += utf16_len(text)

    def close(self, opened: _Open) -> None:
        length = self.pos - opened.start
        if length <= 0 or opened.merged:
            return
        entity: Entity = {"type": opened.kind, "offset": opened.start, "length": length}
        entity.update(opened.extra)
        self.entities.append(entity)

    def result(self) -> tuple[str, list[Entity]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


# --- HTML -------------------------------------------------------------------------------------

_HTML_KINDS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY = re.compile(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});")
_HTML_PLAIN = re.compile(r"[^<&]+")
_TAG_NAME = re.compile(r"[a-zA-Z0-9-]*")
_ATTR_NAME = re.compile(r"[a-zA-Z0-9_-]*")


def _decode_html_entity(match: re.Match[str]) -> str | None:
    body = match.group(1)
    if body.startswith(("#x", "#X")):
        digits = body[2:]
        code = int(digits, 16)
    elif body.startswith("#"):
        code = int(body[1:])
    else:
        return _HTML_NAMED.get(body)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _unescape_attribute(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        decoded = _decode_html_entity(match)
        return match.group(0) if decoded is None else decoded

    return _HTML_ENTITY.sub(replace, value)


def _parse_attributes(  # noqa: PLR0912 (a small tokenizer)
    source: str, start: int, tag: str, tag_offset: int
) -> tuple[dict[str, str], int]:
    """Attributes from start up to '>'; returns them and the index after '>'."""
    attributes: dict[str, str] = {}
    index = start
    length = len(source)
    while True:
        while index < length and source[index].isspace():
            index += 1
        if index >= length:
            raise _ParseError(f"Unclosed start tag at byte offset {tag_offset}")
        if source[index] == ">":
            return attributes, index + 1
        if source.startswith("/>", index):
            return attributes, index + 2
        name_match = _ATTR_NAME.match(source, index)
        name = name_match.group(0).lower() if name_match else ""
        if not name:
            raise _ParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {tag_offset}'
            )
        index += len(name)
        while index < length and source[index].isspace():
            index += 1
        value = ""
        if index < length and source[index] == "=":
            index += 1
            while index < length and source[index].isspace():
                index += 1
            if index >= length:
                raise _ParseError(f"Unclosed start tag at byte offset {tag_offset}")
            quote = source[index]
            if quote in "\"'":
                end = source.find(quote, index + 1)
                if end == -1:
                    raise _ParseError(f"Unclosed start tag at byte offset {tag_offset}")
                value = source[index + 1 : end]
                index = end + 1
            else:
                end = index
                while end < length and not source[end].isspace() and source[end] != ">":
                    end += 1
                value = source[index:end]
                index = end
        attributes[name] = _unescape_attribute(value)


def _open_html_tag(
    builder: _Builder, stack: list[_Open], tag: str, attributes: dict[str, str], offset: int
) -> _Open:
    kind = _HTML_KINDS[tag]
    opened = _Open(tag=tag, kind=kind, start=builder.pos, byte_offset=offset)
    if tag == "span" and attributes.get("class") != "tg-spoiler":
        raise _ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if tag == "a":
        href = attributes.get("href", "")
        if href:
            opened.extra["url"] = href
        else:
            opened.merged = True
    elif tag == "blockquote" and "expandable" in attributes:
        opened.kind = "expandable_blockquote"
    elif tag == "code" and stack and stack[-1].tag == "pre" and stack[-1].start == builder.pos:
        language = attributes.get("class", "")
        if language.startswith("language-") and len(language) > len("language-"):
            stack[-1].extra["language"] = language[len("language-") :]
        opened.merged = True
    return opened


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Telegram's HTML parse mode."""
    builder = _Builder()
    stack: list[_Open] = []
    index = 0
    length = len(source)
    while index < length:
        char = source[index]
        if char == "<":
            offset = _byte_offset(source, index)
            if source.startswith("</", index):
                end = source.find(">", index)
                if end == -1:
                    raise _ParseError(f"Unclosed end tag at byte offset {offset}")
                name = source[index + 2 : end].strip().lower()
                if not stack:
                    raise _ParseError(f"Unexpected end tag at byte offset {offset}")
                if name != stack[-1].tag:
                    expected = stack[-1].tag
                    raise _ParseError(
                        f'Unmatched end tag at byte offset {offset}, expected "</{expected}>",'
                        f' found "</{name}>"'
                    )
                builder.close(stack.pop())
                index = end + 1
                continue
            name_match = _TAG_NAME.match(source, index + 1)
            tag = name_match.group(0).lower() if name_match else ""
            if tag not in _HTML_KINDS:
                raise _ParseError(f'Unsupported start tag "{tag}" at byte offset {offset}')
            attributes, index = _parse_attributes(source, index + 1 + len(tag), tag, offset)
            stack.append(_open_html_tag(builder, stack, tag, attributes, offset))
            continue
        if char == "&":
            entity_match = _HTML_ENTITY.match(source, index)
            decoded = _decode_html_entity(entity_match) if entity_match else None
            if entity_match and decoded is not None:
                builder.emit(decoded)
                index = entity_match.end()
            else:
                builder.emit("&")
                index += 1
            continue
        plain = _HTML_PLAIN.match(source, index)
        assert plain is not None
        builder.emit(plain.group(0))
        index = plain.end()
    if stack:
        raise _ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return builder.result()


# --- MarkdownV2 -------------------------------------------------------------------------------

_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_MDV2_MARKERS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough"}
_MDV2_MARKERS["||"] = "spoiler"


def _mdv2_reserved(char: str) -> _ParseError:
    return _ParseError(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )


def _mdv2_code(source: str, index: int, builder: _Builder, stack: list[_Open]) -> int:
    """Inside code or pre: only '`' and '\\' are special. Returns the next index."""
    top = stack[-1]
    char = source[index]
    if char == "\\" and index + 1 < len(source):
        builder.emit(source[index + 1])
        return index + 2
    if char == "`":
        marker = "```" if top.kind == "pre" else "`"
        if not source.startswith(marker, index):
            raise _mdv2_reserved("`")
        builder.close(stack.pop())
        return index + len(marker)
    builder.emit(char)
    return index + 1


def _mdv2_link_end(source: str, index: int, builder: _Builder, stack: list[_Open]) -> int:
    """At ']' closing a link or custom emoji: read '(url)'. Returns the next index."""
    opened = stack.pop()
    index += 1
    if index >= len(source) or source[index] != "(":
        return index
    url: list[str] = []
    index += 1
    while index < len(source) and source[index] != ")":
        if source[index] == "\\" and index + 1 < len(source):
            index += 1
        url.append(source[index])
        index += 1
    if index >= len(source):
        raise _ParseError(
            f"Can't find end of a url at byte offset {_byte_offset(source, index - 1)}"
        )
    target = "".join(url)
    if opened.kind == "custom_emoji":
        opened.extra["custom_emoji_id"] = target.rpartition("id=")[2]
    else:
        opened.extra["url"] = target
    builder.close(opened)
    return index + 1


def _mdv2_toggle(
    source: str, index: int, marker: str, builder: _Builder, stack: list[_Open]
) -> None:
    kind = _MDV2_MARKERS[marker]
    if stack and stack[-1].kind == kind:
        builder.close(stack.pop())
        return
    if any(opened.kind == kind for opened in stack):
        top = stack[-1]
        raise _ParseError(
            f"Can't find end of {_MDV2_NAMES.get(top.kind, top.kind)} entity at byte offset "
            f"{top.byte_offset}"
        )
    stack.append(_Open(marker, kind, builder.pos, _byte_offset(source, index)))


def _mdv2_open_pre(source: str, index: int, builder: _Builder, stack: list[_Open]) -> int:
    opened = _Open("```", "pre", builder.pos, _byte_offset(source, index))
    index += 3
    newline = source.find("\n", index)
    closing = source.find("```", index)
    if newline != -1 and (closing == -1 or newline < closing):
        language = source[index:newline]
        if language and not any(c.isspace() for c in language):
            opened.extra["language"] = language
            index = newline + 1
        elif not language:
            index = newline + 1
    opened.start = builder.pos
    stack.append(opened)
    return index


def parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:  # noqa: PLR0912, PLR0915
    """Telegram's MarkdownV2 parse mode: every reserved character outside entities escaped."""
    builder = _Builder()
    stack: list[_Open] = []
    quote: _Open | None = None
    index = 0
    length = len(source)
    while index < length:
        char = source[index]
        if stack and stack[-1].kind in {"code", "pre"}:
            index = _mdv2_code(source, index, builder, stack)
            continue
        at_line_start = index == 0 or source[index - 1] == "\n"
        if at_line_start and (char == ">" or source.startswith("**>", index)):
            if quote is None:
                expandable = char == "*"
                quote = _Open(
                    ">",
                    "expandable_blockquote" if expandable else "blockquote",
                    builder.pos,
                    _byte_offset(source, index),
                )
            index += 3 if char == "*" else 1
            continue
        if char == "\n" and quote is not None and not source.startswith(">", index + 1):
            builder.close(quote)
            quote = None
        if char == "\\":
            if index + 1 < length and 0 < ord(source[index + 1]) <= 126:
                builder.emit(source[index + 1])
                index += 2
            else:
                builder.emit("\\")
                index += 1
            continue
        if char not in _MDV2_RESERVED:
            builder.emit(char)
            index += 1
            continue
        if source.startswith("```", index):
            index = _mdv2_open_pre(source, index, builder, stack)
        elif char == "`":
            stack.append(_Open("`", "code", builder.pos, _byte_offset(source, index)))
            index += 1
        elif source.startswith("__", index) or source.startswith("||", index):
            _mdv2_toggle(source, index, source[index : index + 2], builder, stack)
            index += 2
        elif char in "*_~":
            _mdv2_toggle(source, index, char, builder, stack)
            index += 1
        elif char == "[" or source.startswith("![", index):
            kind = "text_link" if char == "[" else "custom_emoji"
            stack.append(_Open("[", kind, builder.pos, _byte_offset(source, index)))
            index += 1 if char == "[" else 2
        elif char == "]" and stack and stack[-1].tag == "[":
            index = _mdv2_link_end(source, index, builder, stack)
        else:
            raise _mdv2_reserved(char)
    if stack:
        top = stack[-1]
        raise _ParseError(
            f"Can't find end of {_MDV2_NAMES.get(top.kind, top.kind)} entity at byte offset "
            f"{top.byte_offset}"
        )
    if quote is not None:
        builder.close(quote)
    return builder.result()


# --- legacy Markdown --------------------------------------------------------------------------

_LEGACY = {"*": "bold", "_": "italic", "`": "code"}


def parse_markdown(source: str) -> tuple[str, list[Entity]]:
    """Telegram's legacy Markdown parse mode."""
    builder = _Builder()
    index = 0
    length = len(source)
    while index < length:
        char = source[index]
        if char == "\\" and index + 1 < length and source[index + 1] in "_*`[":
            builder.emit(source[index + 1])
            index += 2
            continue
        if char not in "_*`[":
            builder.emit(char)
            index += 1
            continue
        offset = _byte_offset(source, index)
        if source.startswith("```", index):
            end = source.find("```", index + 3)
            if end == -1:
                raise _ParseError(f"Can't find end of the entity starting at byte offset {offset}")
            opened = _Open("```", "pre", builder.pos, offset)
            builder.emit(source[index + 3 : end])
            builder.close(opened)
            index = end + 3
            continue
        if char == "[":
            close = source.find("](", index)
            end = source.find(")", close + 2) if close != -1 else -1
            if close == -1 or end == -1:
                raise _ParseError(f"Can't find end of the entity starting at byte offset {offset}")
            opened = _Open("[", "text_link", builder.pos, offset, {"url": source[close + 2 : end]})
            builder.emit(source[index + 1 : close])
            builder.close(opened)
            index = end + 1
            continue
        end = source.find(char, index + 1)
        if end == -1:
            raise _ParseError(f"Can't find end of the entity starting at byte offset {offset}")
        opened = _Open(char, _LEGACY[char], builder.pos, offset)
        builder.emit(source[index + 1 : end])
        builder.close(opened)
        index = end + 1
    return builder.result()


# --- entities found in plain text -------------------------------------------------------------

_AUTO_PATTERNS = (
    (
        "bot_command",
        re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])"),
    ),
    ("url", re.compile(r"(?<![\w@/])https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'”]")),
    ("mention", re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{4,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*")),
    ("email", re.compile(r"(?<![\w.@])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
)
_NO_AUTO_INSIDE = frozenset({"code", "pre", "text_link", "custom_emoji"})


def _utf16_offsets(text: str) -> list[int] | None:
    """Index → UTF-16 offset table, or None when every character is one code unit."""
    if len(text.encode("utf-16-le")) // 2 == len(text):
        return None
    table = [0] * (len(text) + 1)
    position = 0
    for index, char in enumerate(text):
        table[index] = position
        position += 2 if ord(char) > 0xFFFF else 1
    table[len(text)] = position
    return table


def detect_entities(text: str, existing: list[Entity]) -> list[Entity]:
    """Commands, URLs, mentions, hashtags and e-mails Telegram finds by itself."""
    table = _utf16_offsets(text)
    taken = [
        (e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _NO_AUTO_INSIDE
    ]
    found: list[Entity] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if table is not None:
                start, end = table[start], table[end]
            if any(start < stop and begin < end for begin, stop in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    if not found:
        return existing
    merged = existing + found
    merged.sort(key=lambda e: (e["offset"], -e["length"]))
    return merged


# --- the public entry point -------------------------------------------------------------------


def _strip(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Trim surrounding whitespace as Telegram does, keeping entities in place."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    end = lead + utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        begin = max(entity["offset"], lead)
        stop = min(entity["offset"] + entity["length"], end)
        if stop > begin:
            kept.append({**entity, "offset": begin - lead, "length": stop - begin})
    return stripped, kept


def _given_entities(raw: Any, text_length: int) -> list[Entity]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_request("can't parse entities JSON object")
    entities: list[Entity] = []
    for item in raw:
        if not isinstance(item, dict) or item.get("type") not in ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity: unsupported entity type")
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0:
            raise bad_request("can't parse MessageEntity: wrong offset or length")
        if length <= 0 or offset >= text_length:
            continue
        entities.append({k: item[k] for k in ENTITY_FIELDS if k in item})
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return entities


def format_text(
    source: str, parse_mode: str | None, entities: Any = None
) -> tuple[str, list[Entity]]:
    """Parse text as Telegram does: markup or explicit entities, trimming, found entities."""
    mode = (parse_mode or "").strip().lower()
    try:
        if mode == "html":
            text, found = parse_html(source)
        elif mode == "markdownv2":
            text, found = parse_markdown_v2(source)
        elif mode == "markdown":
            text, found = parse_markdown(source)
        elif mode:
            raise bad_request(f"unsupported parse_mode {parse_mode}")
        else:
            text, found = source, _given_entities(entities, utf16_len(source))
    except _ParseError as error:
        raise _entity_error(str(error)) from None
    text, found = _strip(text, found)
    return text, detect_entities(text, found)
