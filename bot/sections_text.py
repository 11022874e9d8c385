"""The words of sections and officials' shares (Article 2.1): the head's table, an official's
own targets, a section in full, the heads' digest."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.context import Context
from i18n import formatting, texts
from i18n.formatting import period_name
from i18n.pace_text import rate_percent_text
from i18n.texts import element_name
from i18n.translations import Translator, translator
from kpi.catalogue import Catalogue
from kpi.periods import Period
from kpi.sections import Section, ShareLine, ShareState
from services import sections as service
from services.sections import Below, Overview, RateShare


def share_line_text(catalogue: Catalogue, line: ShareLine, t: Translator, *, named: bool) -> str:
    glyph = {ShareState.MET: "✅", ShareState.BELOW: "⚠️", ShareState.NO_DATA: "⚪"}[line.state]
    what = element_name(catalogue, line.element, t.language)
    value = (
        t._("no figure yet") if line.value is None else formatting.count(line.value, t.language)
    )
    text = t._(
        "{what}: {value} of {target}",
        what=what,
        value=value,
        target=formatting.count(line.target, t.language),
    )
    if line.state is not ShareState.MET:
        text += " · " + t._(
            "{missing} more needed", missing=formatting.count(line.missing, t.language)
        )
    return f"{glyph} {line.name}: {text}" if named else f"{glyph} {text}"


def rate_share_text(catalogue: Catalogue, rate: RateShare, t: Translator, *, named: bool) -> str:
    try:
        title = f"{rate.indicator} {catalogue.indicator(rate.indicator).short.get(t.language)}"
    except ValueError:
        title = rate.indicator
    glyph = {ShareState.MET: "✅", ShareState.BELOW: "⚠️", ShareState.NO_DATA: "⚪"}[rate.state]
    shown = rate.rate
    text = t._(
        "{indicator}: {rate} (target {target}, due by the period's end {due})",
        indicator=title,
        rate=t._("no figure yet") if shown is None else rate_percent_text(shown, t.language),
        target=texts.limit_text(Decimal(rate.target_bp) / 100, t.language),
        due=texts.limit_text(Decimal(rate.due_bp) / 100, t.language),
    )
    return f"{glyph} {rate.name}: {text}" if named else f"{glyph} {text}"


def mine_text(catalogue: Catalogue, view: Overview, t: Translator) -> str:
    """ "My targets": the person's own shares (and their section's)."""
    head = t._("👤 My targets ({period})", period=period_name(view.period, t))
    rows = [share_line_text(catalogue, line, t, named=True) for line in view.mine]
    rows += [rate_share_text(catalogue, rate, t, named=False) for rate in view.my_rates]
    if not rows:
        rows = [t._("No target has been handed down to you.")]
    return "\n".join([head, *rows])


def overview_text(catalogue: Catalogue, view: Overview, t: Translator) -> str:
    unit = texts.unit_label(catalogue, view.unit, t.language)
    parts = [
        t._(
            "🏢 Sections and officials of {unit}, {period}",
            unit=unit,
            period=period_name(view.period, t),
        )
    ]
    if not view.is_head:
        parts.append(mine_text(catalogue, view, t))
        parts.append(
            t._("Your unit's figures: /status. Only the head sees every colleague's share.")
        )
        return "\n\n".join(parts)
    if view.sections:
        parts.append(
            "\n".join(
                f"• {section.name} (#{section.id})"
                + (
                    ": " + ", ".join(section.elements)
                    if section.elements
                    else " · " + t._("reports no element yet")
                )
                for section in view.sections
            )
        )
    else:
        parts.append(t._("No sections yet. Add one: /sections add NAME"))
    if view.lines or view.rates:
        rows = [share_line_text(catalogue, line, t, named=True) for line in view.lines]
        rows += [rate_share_text(catalogue, rate, t, named=True) for rate in view.rates]
        parts.append(t._("Shares, worst first:") + "\n" + "\n".join(rows))
    else:
        parts.append(t._("No target handed down for this period yet."))
    return "\n\n".join(parts)


def section_text(
    catalogue: Catalogue,
    section: Section,
    period: Period,
    lines: Sequence[ShareLine],
    t: Translator,
) -> str:
    head = t._("🏢 {section}, {period}", section=section.name, period=period_name(period, t))
    elements = (
        t._(
            "Reports: {elements}",
            elements=", ".join(element_name(catalogue, e, t.language) for e in section.elements),
        )
        if section.elements
        else t._("reports no element yet")
    )
    rows = [share_line_text(catalogue, line, t, named=False) for line in lines]
    if not rows:
        rows = [t._("No target handed down for this period yet.")]
    return "\n".join([head, elements, *rows])


class SharesWriter:
    """services.sections.DigestWriter in the bot's words."""

    def digest(
        self, language: str, catalogue: Catalogue, unit: str, period: Period, below: Below
    ) -> str:
        """The heads' digest: the shares below target, worst first."""
        t = translator(language)
        below_count = len(below.lines) + len(below.rates)
        head = t.n_(
            "📋 {unit}: {count} share below target, {period} (worst first)",
            "📋 {unit}: {count} shares below target, {period} (worst first)",
            below_count,
            unit=texts.unit_label(catalogue, unit, language),
            count=below_count,
            period=period_name(period, t),
        )
        rows = [share_line_text(catalogue, line, t, named=True) for line in below.lines]
        rows += [rate_share_text(catalogue, rate, t, named=True) for rate in below.rates]
        return "\n".join([head, *rows, t._("Details: /sections")])

    def own(
        self, language: str, catalogue: Catalogue, unit: str, period: Period, below: Below
    ) -> str:
        """A section's people or an official: their own shares below target."""
        t = translator(language)
        head = t._(
            "👤 Your targets at {unit} below the mark, {period}:",
            unit=texts.unit_label(catalogue, unit, language),
            period=period_name(period, t),
        )
        rows = [share_line_text(catalogue, line, t, named=True) for line in below.lines]
        rows += [rate_share_text(catalogue, rate, t, named=True) for rate in below.rates]
        return "\n".join([head, *rows, t._("Details: /sections")])


async def pooled_codes(context: Context, unit: str) -> dict[str, list[str]]:
    """The unit's elements its sections file, with the sections' names."""
    async with context.services.database.autocommit() as uow:
        pooled = await service.pooled_elements(uow, unit)
    return {code: [s.name for s in found] for code, found in pooled.items()}


def pooled_note(catalogue: Catalogue, pooled: dict[str, list[str]], t: Translator) -> str | None:
    if not pooled:
        return None
    names = ", ".join(
        f"{element_name(catalogue, code, t.language)} ({', '.join(sections)})"
        for code, sections in pooled.items()
    )
    return t._(
        "Filed by the unit's sections, summed for the unit: {elements}. The unit no longer"
        " files them here (what is typed for them is not saved); its sections use /sections"
        " submit.",
        elements=names,
    )
