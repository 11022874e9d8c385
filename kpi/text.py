"""Text in the catalogue's two languages."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("vi", "en")


@dataclass(frozen=True, slots=True)
class LocalText:
    """A text given in Vietnamese and English; Vietnamese is the reference."""

    vi: str
    en: str

    def get(self, language: str) -> str:
        """The text in `language`, falling back to Vietnamese."""
        if language.startswith("en") and self.en:
            return self.en
        return self.vi

    @classmethod
    def same(cls, text: str) -> LocalText:
        """A text that reads the same in both languages (a proper name, a code)."""
        return cls(vi=text, en=text)
