"""The organisers' twinning reports and their CSV downloads."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from expo.attendance.models import CheckIn
from expo.twinning import claims, reports
from expo.twinning.models import TravelMode
from tests.factories import make_booking, make_programme
from tests.querycount import page_query_count
from tests.twinning.test_claims import PDF, _world


def test_the_reports_count_applications_pairs_meetings_check_ins_and_claims(db):
    programme, umea, umea_contact, gavle, tartu, pair_meeting, group_meeting = _world(db)
    gavle.submitted_at = datetime(2022, 4, 1, 23, 30, tzinfo=timezone.utc)  # 2 April in Stockholm
    tartu.submitted_at = datetime(2022, 4, 2, 8, 0, tzinfo=timezone.utc)
    booking = make_booking(session=pair_meeting.session, user=gavle.user)
    make_booking(session=pair_meeting.session, user=umea_contact)
    db.session.add(CheckIn(session=pair_meeting.session, booking=booking, user=gavle.user))
    claims.record_claim(programme=programme, actor=gavle.user, data=claims.ClaimData(
        meeting_id=pair_meeting.id, travelled_on=date(2022, 6, 1), mode=TravelMode.TRAIN, amount=Decimal("100"),
        receipt=claims.Upload("t.pdf", "application/pdf", PDF)))
    db.session.flush()
    tz = "Europe/Stockholm"

    assert reports.applications_over_time(programme, tz).rows == [["2022-04-02", 2, 2]]
    assert [row[:2] for row in reports.pairs_and_scores(programme, tz).rows] == [["Umeå", "Gävle"], ["Umeå", "Tartu"]]
    meeting_rows = {row[2]: row[-2:] for row in reports.meetings_per_module(programme, tz).rows}
    assert meeting_rows == {"Umeå and Gävle": [2, 1], "Umeå and its twins": [0, 0]}
    assert reports.claims_against_caps(programme, tz).rows == [["Gävle", "0.00", "100.00", "500.00", "400.00"]]


def test_the_reports_page_and_csv_for_organisers(db, client, login_as):
    programme, *_ = _world(db)
    db.session.commit()
    login_as("admin")

    few = page_query_count(client, f"/manage/twinning/{programme.id}/reports")
    csv = client.get(f"/manage/twinning/{programme.id}/reports/pairs.csv")

    assert csv.headers["Content-Type"].startswith("text/csv")
    assert "Umeå,Gävle" in csv.get_data(as_text=True)
    assert client.get(f"/manage/twinning/{programme.id}/reports/nothing.csv").status_code == 404
    other = make_programme()
    db.session.commit()
    assert page_query_count(client, f"/manage/twinning/{other.id}/reports") <= few


def test_delegates_get_no_reports(db, client, login_as):
    programme = make_programme()
    db.session.commit()
    login_as("delegate")
    assert client.get(f"/manage/twinning/{programme.id}/reports").status_code == 403
    assert client.get(f"/manage/twinning/{programme.id}/reports/claims.csv").status_code == 403
