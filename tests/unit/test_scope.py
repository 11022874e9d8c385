"""Who is judged on what (DOMAIN; issue 13), read from the decision's annex row by row: each
indicator judges the units its row names, each unit is asked only what those indicators read,
coverage counts every unit judged, a figure is counted once, and 0 of 0 is its own state."""

from collections.abc import Iterable, Mapping
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.aggregate import Figure, rollup
from kpi.attainment import Status
from kpi.catalogue import Catalogue
from kpi.each_unit import counter_rollup
from kpi.evaluation import Line, UnitTotals, evaluate_unit, plans_for
from kpi.periods import Period
from kpi.scope import elements_read, judges, judging
from kpi.units import Level

YEAR = Period.whole_year(2022)
Q1 = Period.parse("2022-Q1")
SECTORS = {
    "II.1": "so-lao-dong-thuong-binh-va-xa-hoi",
    "II.2": "so-giao-duc-va-dao-tao",
    "II.3": "so-y-te",
}


def totals_of(
    catalogue: Catalogue, figures: Iterable[Figure], period: Period
) -> dict[str, UnitTotals]:
    """Every unit's totals for `period`, as the stores keep them (figures and counters)."""
    everything = rollup(catalogue.units, catalogue.elements, list(figures))
    everything.update(counter_rollup(catalogue, everything))
    result: dict[str, dict[tuple[str, Level], object]] = {}
    for (unit, key, element, level), total in everything.items():
        if key == period.key:
            result.setdefault(unit, {})[(element, level)] = total
    return result  # type: ignore[return-value]


def lines_of(
    catalogue: Catalogue, unit: str, figures: Iterable[Figure], period: Period = YEAR
) -> list[Line]:
    totals = totals_of(catalogue, figures, period)
    return evaluate_unit(catalogue, catalogue.units.get(unit), totals.get(unit, {}))


def line(lines: list[Line], code: str, level: Level | None = None) -> Line:
    return next(x for x in lines if x.indicator.code == code and x.level == level)


def codes(catalogue: Catalogue, level: Level) -> list[str]:
    return [u.code for u in catalogue.units if u.level == level]


# --- 1. scope in the catalogue --------------------------------------------------------------


def test_a_sector_row_judges_its_lead_department_and_no_other(kontum: Catalogue) -> None:
    for indicator, lead in SECTORS.items():
        judged = [u.code for u in kontum.units if judges(kontum, kontum.indicator(indicator), u)]
        assert judged == [lead]


def test_the_department_of_foreign_affairs_sees_no_sector_row_nor_land_dues(
    kontum: Catalogue,
) -> None:
    unit = kontum.units.get("so-ngoai-vu")
    seen = {i.code for i in kontum.indicators_for(unit)}
    assert not seen & {"II.1", "II.2", "II.3", "IV.4"}
    asked = {e.code for e in kontum.elements_for(unit)}
    assert not asked & {
        "dvc_social_total",
        "dvc_edu_total",
        "dvc_health_total",
        "land_fin_dossiers",
        "land_fin_paid_online",
    }


def test_land_dues_judge_the_units_handling_land_dossiers_at_the_two_levels(
    kontum: Catalogue,
) -> None:
    judged = {u.code for u in kontum.units if judges(kontum, kontum.indicator("IV.4"), u)}
    assert judged == {"so-tai-nguyen-va-moi-truong", *codes(kontum, "district")}


def test_e_certification_judges_district_justice_offices_and_communes(kontum: Catalogue) -> None:
    for code in ("III.4.a", "III.4.b"):
        judged = {u.level for u in kontum.units if judges(kontum, kontum.indicator(code), u)}
        assert judged == {"district", "commune"}
    judged_units = [u for u in kontum.units if judges(kontum, kontum.indicator("III.4.a"), u)]
    assert len(judged_units) == 10 + 102


def test_the_fee_account_row_judges_every_unit(kontum: Catalogue) -> None:
    judged = [u for u in kontum.units if judges(kontum, kontum.indicator("IV.5"), u)]
    assert len(judged) == len(kontum.units) - 1  # every unit but the province itself
    assert kontum.units.root not in judged


def test_the_provincial_rows_judge_the_province_and_read_its_own_figures(
    kontum: Catalogue,
) -> None:
    province = kontum.units.root
    assert {i.code for i in judging(kontum, province)} == {"I.1", "I.2", "III.1", "III.3"}
    asked = {e.code for e in kontum.elements_for(province)}
    assert {"dvc_national_l34", "tthc_total", "tthc_online", "tthc_online_with_dossiers"} <= asked


def test_the_status_of_a_department_lists_only_the_rows_that_judge_it(kontum: Catalogue) -> None:
    lines = lines_of(kontum, "so-ngoai-vu", [])
    assert {x.indicator.code for x in lines} == {
        "II.4",
        "III.1",
        "III.2",
        "IV.1",
        "IV.2",
        "IV.3",
        "IV.3.a",
        "IV.5",
        "V.1",
    }
    health = lines_of(kontum, "so-y-te", [])
    assert "II.3" in {x.indicator.code for x in health}


# --- 6. elements asked = elements read -------------------------------------------------------


def read_from_own_figures(catalogue: Catalogue, unit_code: str) -> set[str]:
    """The elements the unit's own lines read at the unit's own level."""
    unit = catalogue.units.get(unit_code)
    found: set[str] = set()
    for plan in plans_for(catalogue, unit):
        if not plan.own:
            continue
        keys = [*plan.numerator, *plan.denominator]
        keys += [own for own, _ in (*plan.numerator_choices, *plan.denominator_choices)]
        found |= {code for code, level in keys if level == unit.level}
    return found


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_for_every_unit_the_elements_asked_are_those_its_indicators_and_rules_read(
    kontum: Catalogue, data: st.DataObject
) -> None:
    unit = data.draw(st.sampled_from(kontum.units.units))
    asked = {e.code for e in kontum.elements_for(unit)}
    judged = [i.code for i in judging(kontum, unit)]
    assert asked == elements_read(kontum, judged)
    read = read_from_own_figures(kontum, unit.code)
    assert read <= asked  # nothing a line reads of the unit is left unasked
    breakdowns = {code for r in kontum.rules if r.op == "==" for code in r.elements}
    assert asked - read <= breakdowns  # and only a breakdown's other parts are asked besides


def test_every_unit_of_kon_tum_is_asked_exactly_what_it_is_judged_on(kontum: Catalogue) -> None:
    for unit in kontum.units:
        asked = {e.code for e in kontum.elements_for(unit)}
        assert asked == elements_read(kontum, [i.code for i in judging(kontum, unit)])
        assert bool(asked) == bool(judging(kontum, unit))


# --- 2. coverage over the units in scope ----------------------------------------------------


def flags(units: Iterable[str], element: str, value: int, period: Period = Q1) -> list[Figure]:
    return [Figure(u, element, period, value) for u in units]


def test_ten_communes_saying_yes_leave_the_province_under_ten_percent(kontum: Catalogue) -> None:
    communes = codes(kontum, "commune")
    lines = lines_of(kontum, "kon-tum", flags(communes[:10], "e_cert_provided", 1), Q1)
    commune = line(lines, "III.4.a", "commune").attainment
    assert (commune.numerator, commune.denominator) == (10, 102)
    assert commune.rate_percent() == Decimal("9.80")
    assert commune.status is Status.BELOW_TARGET
    assert commune.not_answered == 92
    assert commune.needed == 92  # a count of units
    district = line(lines, "III.4.a", "district").attainment
    assert district.status is Status.NO_DATA
    assert district.not_answered == 10


def test_a_unit_that_said_no_counts_as_answered_and_not_covered(kontum: Catalogue) -> None:
    figures = flags(["so-tu-phap"], "fee_account_e_receipts", 1) + flags(
        ["so-y-te"], "fee_account_e_receipts", 0
    )
    province = line(lines_of(kontum, "kon-tum", figures, Q1), "IV.5").attainment
    judged = len(kontum.units) - 1
    assert (province.numerator, province.denominator) == (1, judged)
    assert province.not_answered == judged - 2
    assert province.status is Status.BELOW_TARGET


def test_a_commune_that_has_not_answered_has_no_data_and_is_counted_as_not_answered(
    kontum: Catalogue,
) -> None:
    own = line(lines_of(kontum, "dak-blo", [], Q1), "III.4.a", "commune").attainment
    assert own.status is Status.NO_DATA
    assert own.not_answered == 1


# --- 3. no double counting -------------------------------------------------------------------


def test_the_provinces_own_dossiers_resolved_are_not_added_to_a_departments(
    kontum: Catalogue,
) -> None:
    figures = [
        Figure("kon-tum", "dossiers_resolved", Q1, 1000),
        Figure("kon-tum", "results_synced_national", Q1, 1000),
        Figure("so-y-te", "dossiers_resolved", Q1, 100),
    ]
    synced = line(lines_of(kontum, "kon-tum", figures, Q1), "III.3").attainment
    assert (synced.numerator, synced.denominator) == (1000, 1000)
    assert synced.status is Status.MET


def test_the_province_files_its_own_distinct_procedure_counts_for_iii_1(
    kontum: Catalogue,
) -> None:
    figures = [
        Figure("kon-tum", "tthc_online", Q1, 1258),
        Figure("kon-tum", "tthc_online_with_dossiers", Q1, 398),
        Figure("so-y-te", "tthc_online", Q1, 100),
        Figure("so-y-te", "tthc_online_with_dossiers", Q1, 90),
    ]
    own = line(lines_of(kontum, "kon-tum", figures, Q1), "III.1").attainment
    assert (own.numerator, own.denominator) == (398, 1258)
    assert own.rate_percent() == Decimal("31.64")


def test_without_its_own_figure_a_unit_reads_its_childrens_sum(kontum: Catalogue) -> None:
    figures = [
        Figure("so-y-te", "tthc_online", Q1, 100),
        Figure("so-y-te", "tthc_online_with_dossiers", Q1, 60),
        Figure("dak-blo", "tthc_online", Q1, 20),
        Figure("dak-blo", "tthc_online_with_dossiers", Q1, 10),
    ]
    own = line(lines_of(kontum, "kon-tum", figures, Q1), "III.1").attainment
    assert (own.numerator, own.denominator) == (70, 120)


def test_every_element_states_its_total_rule(kontum: Catalogue) -> None:
    rules = {code: e.total for code, e in kontum.elements.items()}
    assert None not in rules.values()
    assert rules["tthc_total"] == "own_or_children"
    assert rules["dossiers_resolved"] == "own_or_children"
    assert rules["dossiers_received"] == "sum"


# --- 4. nothing arose -------------------------------------------------------------------------


def test_zero_of_zero_is_nothing_arose_not_no_data(kontum: Catalogue) -> None:
    figures = [
        Figure("dak-blo", "cert_dossiers", Q1, 0),
        Figure("dak-blo", "e_cert_dossiers", Q1, 0),
    ]
    lines = lines_of(kontum, "dak-blo", figures, Q1)
    assert line(lines, "III.4.b").attainment.status is Status.NOTHING_AROSE
    assert line(lines, "III.2").attainment.status is Status.NO_DATA


# --- 5. the annex's own figures ---------------------------------------------------------------


def annex_2021(catalogue: Catalogue) -> list[Figure]:
    """The annex's 2021 raw counts at the units it names (as figures of a year)."""
    year = Period.whole_year(2022)  # the same counts, filed for a year of the catalogue
    communes = codes(catalogue, "commune")
    districts = codes(catalogue, "district")
    figures = [
        Figure("kon-tum", "dvc_national_l34", year, 1020),
        Figure("kon-tum", "tthc_total", year, 1757),
        Figure("kon-tum", "tthc_online", year, 196 + 1062),
        Figure("kon-tum", "tthc_online_with_dossiers", year, 67 + 331),
        Figure("so-tai-nguyen-va-moi-truong", "land_fin_dossiers", year, 16243),
        Figure("so-tai-nguyen-va-moi-truong", "land_fin_paid_online", year, 3016),
    ]
    split = [411] * 9 + [4109 - 411 * 9]  # 4.109 district-level dossiers, none paid online
    for district, dossiers in zip(districts, split, strict=True):
        figures += [
            Figure(district, "land_fin_dossiers", year, dossiers),
            Figure(district, "land_fin_paid_online", year, 0),
        ]
    figures += flags(communes[:69], "e_cert_provided", 1, year)
    figures += flags(communes[69:], "e_cert_provided", 0, year)
    return figures


def test_the_annexs_2021_counts_give_the_annexs_rates(kontum: Catalogue) -> None:
    lines = lines_of(kontum, "kon-tum", annex_2021(kontum))
    assert line(lines, "I.1").attainment.rate_percent() == Decimal("58.05")
    assert line(lines, "III.1").attainment.rate_percent() == Decimal("31.64")
    communes = line(lines, "III.4.a", "commune").attainment
    assert (communes.numerator, communes.denominator) == (69, 102)
    assert communes.rate_percent() == Decimal("67.65")
    assert communes.not_answered == 0
    districts = line(lines, "III.4.a", "district").attainment
    assert districts.status is Status.NO_DATA
    assert districts.not_answered == 10  # the district justice offices have not answered
    land = line(lines, "IV.4").attainment
    assert (land.numerator, land.denominator) == (3016, 16243 + 4109)
    assert land.rate_percent() == Decimal("14.82")


def test_the_land_dues_baseline_states_that_the_printed_rate_is_the_provincial_levels(
    kontum: Catalogue,
) -> None:
    baseline = kontum.indicator("IV.4").baseline
    assert baseline is not None
    assert baseline.rate is not None
    assert round(float(baseline.rate) * 100, 2) == 14.82
    assert baseline.scope is not None
    assert "18,57 %" in baseline.scope.vi
    assert "cấp tỉnh và cấp huyện" in baseline.scope.vi.lower()


def test_the_national_portal_row_reads_the_national_portal_services(kontum: Catalogue) -> None:
    assert kontum.indicator("I.1").numerator == ("dvc_national_l34",)


def test_each_deadline_and_the_cut_off_carry_their_source(kontum: Catalogue) -> None:
    calendar = kontum.calendar
    assert calendar.cutoff_source == "Nghị định 09/2019/NĐ-CP, Điều 12"
    sources: Mapping[Level, str] = calendar.deadline_sources
    assert set(sources) == set(kontum.units.level_order)
    assert set(sources.values()) == {"thực tiễn của tỉnh"}


def test_the_score_preview_counts_only_the_lines_that_judge_the_unit(kontum: Catalogue) -> None:
    from kpi.scoring import score_unit

    lines = lines_of(kontum, "dak-glei", flags(["dak-glei", "dak-blo"], "e_cert_provided", 1), Q1)
    criteria = {(c.indicator, c.level) for c in score_unit("district", lines).criteria}
    assert ("III.4.a", "district") in criteria
    assert ("III.4.a", "commune") not in criteria  # its communes', not its own
    foreign = {
        c.indicator for c in score_unit("department", lines_of(kontum, "so-ngoai-vu", [])).criteria
    }
    assert not foreign & {"II.1", "II.2", "II.3", "IV.4"}
