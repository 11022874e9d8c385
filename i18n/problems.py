"""Refused figures in the person's language: a count that does not read (typed in the chat or
in a file), and the refused rows of an imported file, one function for the bot's file upload and
for `chitieu figures import` (services.importing.RowError's code and params)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from i18n.formatting import count, echo, period_name
from i18n.translations import N_, Translator
from kpi.errors import CountError
from kpi.numbers import CountProblem

if TYPE_CHECKING:
    from kpi.catalogue import Catalogue
    from services.figures import Problem
    from services.importing import ImportRejectedError, RowError


def rejected_summary(rejected: ImportRejectedError, t: Translator) -> str:
    """ "3 problems; nothing was saved", or how many revisions were saved before."""
    problems = len(rejected.errors)
    if rejected.saved:
        return t.n_(
            "{count} problem found while saving, after {saved} figures were saved (someone"
            " changed these figures meanwhile); fix it and import the file again: the rows"
            " already saved count as unchanged",
            "{count} problems found while saving, after {saved} figures were saved (someone"
            " changed these figures meanwhile); fix them and import the file again: the rows"
            " already saved count as unchanged",
            problems,
            count=count(problems, t.language),
            saved=count(rejected.saved, t.language),
        )
    return t.n_(
        "{count} problem; nothing was saved",
        "{count} problems; nothing was saved",
        problems,
        count=count(problems, t.language),
    )


def row_error_text(error: RowError, t: Translator, catalogue: Catalogue | None = None) -> str:
    """Why a row was refused (without its number); the English reason for an unknown code."""
    p = error.params
    code = error.code
    if code == "count":
        return _count_text(CountError(str(p["reason"]), str(p["text"])), t)
    if code == "unknown_unit":
        return t._("no unit is named or coded “{text}”", text=echo(str(p["text"])))
    if code == "ambiguous_unit":
        return t._(
            "“{text}” names several units ({units}): give the code",
            text=echo(str(p["text"])),
            units=", ".join(str(u) for u in p["units"]),
        )
    if code == "unknown_element":
        return t._("no data element has the code “{text}”", text=echo(str(p["text"])))
    if code == "period":
        return t._(
            "“{text}” is not a period: write 2022-03, 2022-Q1, 2022-H1, 2022-9M or 2022",
            text=echo(str(p["text"])),
        )
    if code == "empty_unit":
        return t._("the unit is empty: give a unit code or name")
    if code == "empty_period":
        return t._("the period is empty: write 2022-03, 2022-Q1, 2022-H1, 2022-9M or 2022")
    if code == "no_catalogue":
        return t._(
            "{period}: no catalogue is loaded for {year}; figures are taken for {years}",
            period=period_name(p["period"], t),
            year=p["period"].year,
            years=str(p["years"]),
        )
    if code == "repeated":
        return t._("row {earlier} gives another value for the same figure", earlier=p["earlier"])
    if code == "overlaps_row":
        return t._(
            "{period} overlaps {clash} given in row {earlier} for the same unit and element:"
            " give one or the other",
            period=p["period"].key,
            clash=p["clash"].key,
            earlier=p["earlier"],
        )
    if code == "problem":
        text = _problem_text(p["problem"], str(p["unit"]), catalogue, t)
        if p.get("rows"):
            return t._(
                "{problem} (unit {unit}, {period}, rows {rows})",
                problem=text,
                unit=p["unit"],
                period=period_name(p["period"], t),
                rows=p["rows"],
            )
        return text
    return error.reason


COUNT_TEXTS: Final = {
    CountProblem.EMPTY: N_("Nothing was typed: send a whole number such as 1020, or press Skip."),
    CountProblem.NO_NUMBER: N_("I expected a whole number, such as 1020."),
    CountProblem.NEGATIVE: N_("A count cannot be negative: send a whole number, 0 or more."),
    CountProblem.PERCENT: N_(
        "Give the raw count, not a percentage: the rates are computed from the counts."
    ),
    CountProblem.DECIMAL: N_(
        "In Vietnamese a comma marks decimals (“1,020” is 1.02) and a count is a whole number:"
        " write 1.020 or 1020."
    ),
    CountProblem.MALFORMED: N_(
        "That is not a whole number: write digits, grouped with dots if you like (1.020)."
    ),
    CountProblem.TOO_LARGE: N_(
        "That number is too large to be a count: check it and send it again."
    ),
    CountProblem.SEVERAL: N_("Send one number at a time."),
    CountProblem.NOTATION: N_(
        "Write the number in full digits, such as 100.000: powers and scientific notation"
        " (1e5, 10^20) are not read."
    ),
    CountProblem.MULTIPLIER: N_(
        "Write the number in digits (5.000), or as one number and one word: 5 nghìn, 2 triệu,"
        " 1,5 triệu. Shorthand such as 5k or 5 tr is not read."
    ),
}


def count_problem_text(error: CountError, t: Translator) -> str:
    try:
        problem = CountProblem(error.reason)
    except ValueError:
        problem = CountProblem.MALFORMED
    if not error.text.strip():
        return t._(COUNT_TEXTS[problem])
    return t._("“{typed}”: {problem}", typed=echo(error.text), problem=t._(COUNT_TEXTS[problem]))


def _count_text(error: CountError, t: Translator) -> str:
    if error.reason == CountProblem.EMPTY.value or not error.text.strip():
        return t._("the value is empty: give a whole number such as 1020")
    return count_problem_text(error, t)


def _problem_text(problem: Problem, unit: str, catalogue: Catalogue | None, t: Translator) -> str:
    language = t.language
    element = problem.element
    name = element or ""
    if element is not None and catalogue is not None and element in catalogue.elements:
        name = catalogue.elements[element].short.get(language)
    if problem.code == "rule" and problem.violation is not None:
        violation = problem.violation
        return t._(
            "{rule} (now {left} against {right})",
            rule=violation.rule.message.get(language),
            left=count(violation.left, language),
            right=count(violation.right, language),
        )
    if problem.code == "overlaps":
        return t._(
            "{element}: figures were already given for a period that overlaps this one;"
            " correct that period instead",
            element=name,
        )
    if problem.code == "not_reported_by_level" and catalogue is not None and unit:
        from i18n.texts import level_name

        return t._(
            "{element} ({code}) is not asked of {unit} ({level}): no indicator that judges it"
            " reads it",
            element=name,
            code=element,
            unit=unit,
            level=level_name(catalogue.units.get(unit).level, t),
        )
    return problem.message
