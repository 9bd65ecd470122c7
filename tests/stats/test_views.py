import csv
import io

import pytest

from expo.accounts.models import Role
from expo.core.extensions import cache
from tests.conftest import log_in
from tests.factories import make_network, make_registration, make_user
from tests.querycount import page_query_count
from tests.stats import dataset


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_statistics_page_shows_every_table_with_chart_and_csv_link(client, login_as, db, monkeypatch):
    monkeypatch.setattr("expo.stats.views.utcnow", lambda: dataset.NOW)
    data = dataset.build()
    login_as("organiser")
    response = client.get(f"/stats/?event={data.a.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for table in ("countries", "networks", "organisation_kinds", "registrations_per_day", "sessions",
                  "venues_fill", "no_shows_per_day", "attendance_per_day", "attendance_per_venue"):
        assert f'id="{table}-heading"' in html
        assert f'data-chart="{table}"' in html
        assert f'href="/stats/export/{table}.csv?event={data.a.id}"' in html
        assert f'href="/stats/tables/{table}?event={data.a.id}"' in html
    # One section per question, in this order.
    assert html.index("Who is coming") < html.index("What they chose") < html.index("What happened")
    # Time series are column charts on a date axis, with a sentence for readers who cannot see them.
    # (a check-in at 22:30 UTC on 1 June is on 2 June in Helsingborg)
    assert ('<title id="attendance_per_day-chart-title">Check-ins per day, Jun 1, 2022 to Jun 2, 2022: '
            "5 in all; the most, 4, on Jun 1, 2022.</title>") in html
    assert "<dt>Delegates</dt><dd>7</dd>" in html
    assert "<dt>Countries represented</dt><dd>3</dd>" in html
    assert "<dt>No-show rate</dt><dd>20.0%</dd>" in html
    assert '<th scope="row">Sweden</th>' in html
    assert 'aria-hidden="true"' not in html  # every chart is an image with its own text
    assert '<option selected value="%d">Event A</option>' % data.a.id in html


def test_a_swedish_speaking_organiser_reads_the_statistics_in_swedish(client, app, login_as, db, monkeypatch):
    """The figures are cached per language: an English reader first does not make them English."""
    monkeypatch.setattr("expo.stats.views.utcnow", lambda: dataset.NOW)
    data = dataset.build()
    english = app.test_client()
    reader = make_user(role=Role.ORGANISER, locale="en")
    db.session.commit()
    log_in(english, reader)
    assert "<dt>No-show rate</dt><dd>20.0%</dd>" in english.get(f"/stats/?event={data.a.id}").get_data(as_text=True)

    login_as("organiser", locale="sv")
    html = client.get(f"/stats/?event={data.a.id}").get_data(as_text=True)
    assert '<html lang="sv"' in html
    for text in ('<h3 id="countries-heading">Delegater per land</h3>',
                 '<h3 id="sessions-heading">Programpunkter: beläggning och andel uteblivna</h3>',
                 "<dt>Delegater</dt><dd>7</dd>", "<dt>Representerade länder</dt><dd>3</dd>",
                 "<dt>Andel uteblivna</dt><dd>20,0%</dd>"):
        assert text in html, text
    assert "Delegates by country" not in html and "No-show rate" not in html

    rows = read_csv(client.get(f"/stats/export/countries.csv?event={data.a.id}"))
    assert rows[0] == ["Land", "Delegater", "Andel"]
    assert rows[1] == ["Sverige", "4", "0.5714"]  # names in the reader's language, machine-readable numbers


def test_statistics_for_all_events(client, login_as, db):
    dataset.build()
    login_as("organiser")
    html = client.get("/stats/").get_data(as_text=True)
    assert "<dt>Delegates</dt><dd>8</dd>" in html
    assert "<dt>Countries represented</dt><dd>4</dd>" in html
    assert 'href="/stats/export/countries.csv"' in html


def test_empty_statistics_page(client, login_as):
    login_as("organiser")
    response = client.get("/stats/")
    assert response.status_code == 200
    assert "Nothing to count yet." in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["?event=999", "?event=abc"])
def test_unknown_event_is_404(client, login_as, query):
    login_as("organiser")
    assert client.get(f"/stats/{query}").status_code == 404
    assert client.get(f"/stats/export/countries.csv{query}").status_code == 404


def test_unknown_table_is_404(client, login_as):
    login_as("organiser")
    assert client.get("/stats/export/passwords.csv").status_code == 404


@pytest.mark.parametrize("role", ["staff", "delegate"])
def test_only_organisers_see_statistics(client, login_as, role):
    login_as(role)
    assert client.get("/stats/").status_code == 403
    assert client.get("/stats/export/countries.csv").status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    for url in ("/stats/", "/stats/export/countries.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/account/login" in response.headers["Location"]


EXPECTED_CSV = {
    "countries": [
        ["Country", "Delegates", "Share"],
        ["Sweden", "4", "0.5714"], ["Finland", "2", "0.2857"], ["Germany", "1", "0.1429"],
    ],
    "networks": [
        ["Network", "Delegates", "Share"],
        ["UNECE", "3", "0.4286"], ["CPMR", "2", "0.2857"], ["No network", "3", "0.4286"],
    ],
    "organisation_kinds": [
        ["Kind of organisation", "Delegates", "Share"],
        ["City", "3", "0.4286"], ["University", "2", "0.2857"], ["Company", "1", "0.1429"],
        ["No organisation", "1", "0.1429"],
    ],
    "registrations_per_day": [
        ["Day", "Registrations", "Approved"],
        ["2022-05-01", "3", "3"], ["2022-05-02", "3", "2"], ["2022-05-03", "3", "2"],
    ],
    "sessions": [
        ["Session", "Starts", "Venue", "Seats", "Confirmed", "Fill rate", "Came", "No-shows", "No-show rate",
         "Check-ins", "Walk-ins"],
        ["Bikes", "2022-06-01 10:00 +02:00", "Dunkers", "4", "3", "0.75", "2", "1", "0.3333", "3", "1"],
        ["Buses", "2022-06-01 12:00 +02:00", "Sundspärlan", "2", "2", "1.0", "2", "0", "0.0", "2", "1"],
        ["Trams (cancelled)", "2022-06-01 14:00 +02:00", "Dunkers", "4", "0", "0.0", "", "", "", "0", "0"],
        ["Online", "2022-06-02 10:00 +02:00", "Online", "", "1", "", "", "", "", "0", "0"],
    ],
    "no_shows_per_day": [["Day", "Confirmed", "No-shows", "No-show rate"], ["2022-06-01", "5", "1", "0.2"]],
    "attendance_per_day": [["Day", "Check-ins", "Walk-ins"], ["2022-06-01", "4", "2"], ["2022-06-02", "1", "0"]],
    "attendance_per_venue": [["Venue", "Check-ins", "Walk-ins"], ["Dunkers", "3", "1"], ["Sundspärlan", "2", "1"]],
}


@pytest.mark.parametrize("table", sorted(EXPECTED_CSV))
def test_each_csv_holds_the_table(client, login_as, db, table, monkeypatch):
    monkeypatch.setattr("expo.stats.views.utcnow", lambda: dataset.NOW)
    data = dataset.build()
    login_as("organiser")
    response = client.get(f"/stats/export/{table}.csv?event={data.a.id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    slug = table.replace("_", "-")
    assert response.headers["Content-Disposition"] == f'attachment; filename="expo-{slug}-event-a.csv"'
    assert response.headers["ETag"]
    assert read_csv(response) == EXPECTED_CSV[table]
    again = client.get(f"/stats/export/{table}.csv?event={data.a.id}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_csv_cells_cannot_run_as_formulas(client, login_as, db):
    make_registration(user=make_user(country_code="SE"))
    network = make_network(name="=HYPERLINK(\"http://evil\")")
    make_registration(user=make_user(networks=[network]))
    login_as("organiser")
    rows = read_csv(client.get("/stats/export/networks.csv"))
    assert ["'=HYPERLINK(\"http://evil\")", "1", "0.5"] in rows


def counted_query_count(client, url: str) -> int:
    """Statements of one GET of ``url`` when the figures must be counted (cache emptied)."""
    cache.clear()
    return page_query_count(client, url)


def test_statistics_page_runs_a_fixed_number_of_queries(client, login_as, db):
    login_as("organiser")
    empty = counted_query_count(client, "/stats/")
    data = dataset.build()
    db.session.commit()
    small_all = counted_query_count(client, "/stats/")
    small_event = counted_query_count(client, f"/stats/?event={data.a.id}")
    dataset.build_more(data, 60)
    db.session.commit()
    assert counted_query_count(client, "/stats/") == small_all == empty
    assert counted_query_count(client, f"/stats/?event={data.a.id}") == small_event
    assert small_all <= 10


def test_figures_are_kept_for_a_minute_and_say_when_they_were_counted(client, login_as, db, monkeypatch):
    monkeypatch.setattr("expo.stats.views.utcnow", lambda: dataset.NOW)
    login_as("organiser")
    counted = page_query_count(client, "/stats/")
    html = client.get("/stats/").get_data(as_text=True)
    # NOW is 1 June 2022, 14:00 UTC: 16:00 in Stockholm.
    assert "Figures as of 16:00 (Europe/Stockholm)" in html
    dataset.build()
    db.session.commit()
    # Within the minute the page answers from the cache: no counting, the old figures.
    cached = page_query_count(client, "/stats/")
    assert cached < counted
    assert "<dt>Delegates</dt><dd>0</dd>" in client.get("/stats/").get_data(as_text=True)
    cache.clear()
    assert "<dt>Delegates</dt><dd>8</dd>" in client.get("/stats/").get_data(as_text=True)


def test_figures_are_kept_per_event(client, login_as, db):
    data = dataset.build()
    login_as("organiser")
    assert "<dt>Delegates</dt><dd>8</dd>" in client.get("/stats/").get_data(as_text=True)
    assert "<dt>Delegates</dt><dd>7</dd>" in client.get(f"/stats/?event={data.a.id}").get_data(as_text=True)


def test_fill_rate_chart_has_a_text_equivalent(client, login_as, db, monkeypatch):
    monkeypatch.setattr("expo.stats.views.utcnow", lambda: dataset.NOW)
    data = dataset.build()
    login_as("organiser")
    html = client.get(f"/stats/?event={data.a.id}").get_data(as_text=True)
    assert (
        '<title id="sessions-chart-title">Scheduled sessions by fill rate: Under 25 % 0, 25–49 % 0, '
        "50–74 % 0, 75–99 % 1, Full 1, No seat limit 1</title>"
    ) in html
    assert 'role="img" aria-labelledby="sessions-chart-title"' in html


def test_figures_due_again_are_counted_by_one_job_while_the_page_shows_the_last(
        app, client, login_as, db, monkeypatch):
    from datetime import timedelta

    from expo.core import jobs
    from expo.stats import figures

    now = [dataset.NOW]
    monkeypatch.setattr("expo.stats.views.utcnow", lambda: now[0])
    monkeypatch.setitem(app.config, "JOB_QUEUE", "thread")
    runner = jobs.thread_runner(app)
    runner.paused = True  # the job waits until the test has looked
    try:
        data = dataset.build()
        login_as("organiser")
        first = client.get(f"/stats/?event={data.a.id}").get_data(as_text=True)
        assert runner.waiting() == 0  # never counted: counted in the request
        make_registration(event=data.a, user=make_user(country_code="NO"))
        db.session.commit()
        now[0] = dataset.NOW + timedelta(seconds=figures.FIGURES_TIMEOUT + 1)
        meanwhile = [client.get(f"/stats/?event={data.a.id}").get_data(as_text=True) for _ in range(3)]
        assert runner.waiting() == 1  # three organisers, one recount
        assert "<dt>Delegates</dt><dd>7</dd>" in first
        assert all("<dt>Delegates</dt><dd>7</dd>" in page for page in meanwhile)
    finally:
        runner.resume()
    assert runner.wait_idle()
    counted = client.get(f"/stats/?event={data.a.id}").get_data(as_text=True)
    assert "<dt>Delegates</dt><dd>8</dd>" in counted


def test_the_dashboard_shows_the_top_rows_and_a_page_holds_them_all(client, login_as, db, monkeypatch):
    monkeypatch.setattr("expo.stats.views.utcnow", lambda: dataset.NOW)
    monkeypatch.setattr("expo.stats.figures.TOP_ROWS", 2)
    monkeypatch.setattr("expo.stats.views.PAGE_ROWS", 2)
    cache.clear()
    data = dataset.build()
    login_as("organiser")
    html = client.get(f"/stats/?event={data.a.id}").get_data(as_text=True)
    countries = html.split('id="countries-heading"')[1].split("</table>")[0]
    assert countries.count('<th scope="row">') == 2  # Sweden and Finland of three rows
    assert "Show all 3 rows" in html

    first = client.get(f"/stats/tables/countries?event={data.a.id}").get_data(as_text=True)
    assert "Rows 1–2 of 3." in first and '<th scope="row">Sweden</th>' in first
    assert f'href="/stats/tables/countries?page=2&amp;event={data.a.id}" rel="next"' in first
    second = client.get(f"/stats/tables/countries?event={data.a.id}&page=2").get_data(as_text=True)
    assert "Rows 3–3 of 3." in second and '<th scope="row">Germany</th>' in second
    assert '<th scope="row">Sweden</th>' not in second
    assert client.get(f"/stats/tables/countries?event={data.a.id}&page=3").status_code == 404
    assert client.get("/stats/tables/nothing").status_code == 404


def test_a_span_of_days_narrows_every_figure_and_its_csv(client, login_as, db, monkeypatch):
    monkeypatch.setattr("expo.stats.views.utcnow", lambda: dataset.NOW)
    cache.clear()
    data = dataset.build()
    login_as("organiser")
    # Registrations made on 1 and 2 May (Stockholm time) only: five of event A's seven delegates.
    html = client.get(f"/stats/?event={data.a.id}&first_day=2022-05-01&last_day=2022-05-02").get_data(as_text=True)
    assert "<dt>Delegates</dt><dd>5</dd>" in html
    assert f'href="/stats/export/countries.csv?event={data.a.id}&amp;first_day=2022-05-01&amp;last_day=2022-05-02"' in html
    rows = read_csv(client.get(f"/stats/export/countries.csv?event={data.a.id}&first_day=2022-05-01&last_day=2022-05-02"))
    assert [row[:2] for row in rows[1:]] == [["Sweden", "3"], ["Finland", "2"]]
    # Sessions held on 2 June only: the online session.
    june2 = client.get(f"/stats/tables/sessions?event={data.a.id}&first_day=2022-06-02&last_day=2022-06-02")
    assert '<th scope="row">Online</th>' in june2.get_data(as_text=True)
    assert "Bikes" not in june2.get_data(as_text=True)


def test_days_that_cannot_be_read_are_named_and_left_out(client, login_as, db, monkeypatch):
    monkeypatch.setattr("expo.stats.views.utcnow", lambda: dataset.NOW)
    cache.clear()
    data = dataset.build()
    login_as("organiser")
    response = client.get(f"/stats/?event={data.a.id}&first_day=2022-06-03&last_day=2022-06-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The last day comes before the first." in html and "<dt>Delegates</dt><dd>0</dd>" not in html
    assert client.get(f"/stats/?event={data.a.id}&first_day=yesterday").status_code == 200
