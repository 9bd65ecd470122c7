"""Time series are drawn as a column per day on a date axis."""
from datetime import date

from expo.stats.charts import column_chart


def test_every_day_of_the_span_has_its_place_and_gaps_stay_gaps(app):
    points = [(date(2022, 6, 1), 4), (date(2022, 6, 4), 2), (date(2022, 6, 2), 0)]
    with app.test_request_context():
        chart = column_chart(points, title="Check-ins per day")
    assert [c.day.day for c in chart.columns] == [1, 2, 3, 4]
    assert [c.value for c in chart.columns] == [4, 0, 0, 2]
    tallest, _, _, half = chart.columns
    assert tallest.height == chart.plot_bottom - chart.plot_top and half.height == tallest.height / 2
    assert chart.columns[1].x > tallest.x + tallest.width  # one day after another, never overlapping
    assert chart.summary == "Check-ins per day, Jun 1, 2022 to Jun 4, 2022: 6 in all; the most, 4, on Jun 1, 2022."
    assert chart.max_text == "4"


def test_a_long_span_has_a_few_dated_ticks(app):
    points = [(date(2022, 5, 1), 1), (date(2022, 7, 29), 3)]
    with app.test_request_context():
        chart = column_chart(points, title="Registrations per day")
    assert len(chart.columns) == 90
    assert 5 <= len(chart.ticks) <= 7 and chart.ticks[0].text == "5/1/22"


def test_no_points_no_chart(app):
    with app.test_request_context():
        assert column_chart([], title="Nothing") is None
