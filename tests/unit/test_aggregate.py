from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.aggregate import Figure, own_value, own_values, rollup
from kpi.catalogue import Catalogue
from kpi.periods import Period, canonical_periods

FLOW = "dossiers_received"
STOCK = "tthc_total"
UNITS = ["dak-glei", "dak-blo", "xop", "dak-ha", "dak-ha-dak-long", "so-y-te", "duy-tan"]

figures_strategy = st.lists(
    st.tuples(st.sampled_from(UNITS), st.integers(1, 12), st.integers(0, 10_000)),
    max_size=40,
    unique_by=lambda t: (t[0], t[1]),
)


@settings(max_examples=60, deadline=None)
@given(figures_strategy)
def test_a_flow_over_any_period_is_the_sum_of_its_months_and_of_its_units(
    kontum: Catalogue, cells: list[tuple[str, int, int]]
) -> None:
    figures = [Figure(u, FLOW, Period.month(2022, m), v) for u, m, v in cells]
    totals = rollup(kontum.units, kontum.elements, figures)

    def total(unit: str, period: Period) -> int:
        return sum(
            t.value for (u, p, e, _), t in totals.items() if (u, p, e) == (unit, period.key, FLOW)
        )

    for period in canonical_periods(2022):
        in_period = [f for f in figures if period.contains(f.period)]
        assert total("kon-tum", period) == sum(f.value for f in in_period)
        months = sum(total("kon-tum", m) for m in period.months)
        assert total("kon-tum", period) == months
        for unit in kontum.units.children("kon-tum"):
            below = [f for f in in_period if kontum.units.is_within(f.unit, unit.code)]
            assert total(unit.code, period) == sum(f.value for f in below)
        children = sum(total(c.code, period) for c in kontum.units.children("dak-glei"))
        own = sum(f.value for f in in_period if f.unit == "dak-glei")
        assert total("dak-glei", period) == own + children


@settings(max_examples=60, deadline=None)
@given(figures_strategy)
def test_a_stock_is_the_latest_value_within_the_period_and_counts_each_unit_once(
    kontum: Catalogue, cells: list[tuple[str, int, int]]
) -> None:
    figures = [Figure(u, STOCK, Period.month(2022, m), v) for u, m, v in cells]
    totals = rollup(kontum.units, kontum.elements, figures)
    element = kontum.element(STOCK)
    for period in canonical_periods(2022):
        expected = 0
        reporters = 0
        for unit in UNITS:
            mine = [(f.period, f.value) for f in figures if f.unit == unit]
            value = own_value(element, mine, period)
            if value is not None:
                latest = max(p.last for p, _ in mine if period.contains(p))
                assert value == next(v for p, v in mine if p.last == latest)
                expected += value
                reporters += 1
        found = [
            t for (u, p, e, _), t in totals.items() if (u, p, e) == ("kon-tum", period.key, STOCK)
        ]
        assert sum(t.value for t in found) == expected
        assert sum(t.reporters for t in found) == reporters


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from([FLOW, STOCK]),
    st.lists(
        st.tuples(st.sampled_from(canonical_periods(2022)), st.integers(0, 10_000)),
        max_size=12,
        unique_by=lambda t: t[0],
    ),
)
def test_own_values_visit_each_figure_once_and_agree_with_own_value_for_every_period(
    kontum: Catalogue, element_code: str, series: list[tuple[Period, int]]
) -> None:
    element = kontum.element(element_code)
    expected = {
        period: value
        for period in canonical_periods(2022)
        if (value := own_value(element, series, period)) is not None
    }
    assert own_values(element, series) == expected
