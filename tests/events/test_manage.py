"""Organisers create, change, publish and delete events."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from expo.accounts.models import Role
from expo.core import signals
from expo.events.models import Event, RegistrationMode
from tests.factories import make_event, make_registration, make_session, utc
from tests.querycount import page_query_count


@pytest.fixture
def organiser(login_as):
    return login_as(Role.ORGANISER)


def event_form(**overrides) -> dict:
    data = {
        "name": "H22 +50 Sessions",
        "slug": "",
        "description": "Cities meet.",
        "timezone": "Europe/Stockholm",
        "starts_on": "2022-06-01",
        "ends_on": "2022-06-03",
        "registration_mode": "approval",
        "capacity": "400",
        "registration_deadline": "2022-05-25T23:59",
        "transfer_minutes": "20",
    }
    data.update(overrides)
    return data


def html(response) -> str:
    return response.get_data(as_text=True)


def test_organiser_creates_a_draft_event(client, db, organiser):
    response = client.post("/manage/events/new", data=event_form())
    assert response.status_code == 302
    event = db.session.scalar(sa.select(Event))
    assert response.headers["Location"].endswith(f"/manage/events/{event.id}/edit")
    assert (event.name, event.slug, event.is_published, event.published_at) == (
        "H22 +50 Sessions", "h22-50-sessions", False, None
    )
    assert (event.starts_on, event.ends_on, event.timezone) == (date(2022, 6, 1), date(2022, 6, 3), "Europe/Stockholm")
    assert (event.registration_mode, event.capacity, event.transfer_minutes) == (RegistrationMode.APPROVAL, 400, 20)
    assert event.registration_deadline == utc(2022, 5, 25, 21, 59)  # local deadline, stored UTC
    assert event.expo is not None
    page = html(client.get(f"/manage/events/{event.id}/edit"))
    assert "This event is a draft." in page and 'value="2022-05-25T23:59"' in page


def test_slugs_are_unique(client, db, organiser):
    make_event(slug="h22")
    db.session.commit()
    taken = client.post("/manage/events/new", data=event_form(slug="h22"))
    assert "This web address is already used" in html(taken)
    client.post("/manage/events/new", data=event_form(name="H22"))
    assert db.session.scalar(sa.select(Event.slug).where(Event.name == "H22")) == "h22-2"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_on": "2022-05-31"}, "The last day cannot be before the first day."),
        ({"timezone": "Mars/Olympus"}, "Not a valid choice."),
        ({"capacity": "0"}, "Must be a positive number"),
        ({"transfer_minutes": "-1"}, "Between 0 and 1440 minutes."),
        ({"transfer_minutes": ""}, "Enter a number of minutes."),
        ({"starts_on": "1 June"}, "Not a valid date value."),
        ({"registration_mode": "lottery"}, "Not a valid choice."),
        ({"slug": "Not A Slug!"}, "Use lowercase letters, digits and hyphens only"),
        ({"name": ""}, "This field is required."),
        ({"registration_deadline": "soon"}, "Not a valid datetime value."),
        ({"starts_on": "0001-01-01"}, "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"ends_on": "9999-12-31"}, "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"registration_deadline": "0001-01-01T00:00"}, "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"registration_deadline": "9999-12-31T23:59"}, "Choose a date between 2000-01-01 and 2100-12-31."),
        ({"starts_on": "2022-06-01", "ends_on": "2023-06-02"}, "An event lasts at most 366 days."),
        ({"starts_on": "2000-01-01", "ends_on": "2100-12-31"}, "An event lasts at most 366 days."),
    ],
)
def test_event_form_messages(client, db, organiser, overrides, message):
    response = client.post("/manage/events/new", data=event_form(**overrides))
    assert response.status_code == 200
    assert message in html(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_a_deadline_the_clocks_skip_is_refused_and_a_repeated_one_asks_which(client, db, organiser):
    skipped = client.post("/manage/events/new", data=event_form(registration_deadline="2022-03-27T02:30"))
    assert "02:30 does not exist on 2022-03-27 in Europe/Stockholm: the clocks go forward from 02:00 to 03:00." \
        in html(skipped)
    repeated = client.post("/manage/events/new", data=event_form(registration_deadline="2022-10-30T02:30"))
    assert "02:30 happens twice on 2022-10-30 in Europe/Stockholm" in html(repeated)
    assert 'name="registration_deadline-occurrence" value="second"' in html(repeated)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0
    chosen = client.post("/manage/events/new", data={**event_form(registration_deadline="2022-10-30T02:30"),
                                                      "registration_deadline-occurrence": "second"})
    assert chosen.status_code == 302
    event = db.session.scalar(sa.select(Event))
    assert event.registration_deadline == utc(2022, 10, 30, 1, 30)  # 02:30 winter time
    page = html(client.get(f"/manage/events/{event.id}/edit"))  # shown again with its choice kept
    assert 'value="second" checked' in page


def test_zero_transfer_minutes_is_allowed(client, db, organiser):
    assert client.post("/manage/events/new", data=event_form(transfer_minutes="0")).status_code == 302
    assert db.session.scalar(sa.select(Event.transfer_minutes)) == 0


def test_organiser_edits_an_event_and_its_time_moves(client, db, organiser):
    event = make_event(slug="h22")
    db.session.commit()
    before = event.updated_at
    response = client.post(f"/manage/events/{event.id}/edit", data=event_form(name="Renamed", slug="h22"))
    assert response.status_code == 302
    db.session.refresh(event)
    assert (event.name, event.slug, event.transfer_minutes) == ("Renamed", "h22", 20)
    assert event.updated_at > before


def test_a_year_long_event_is_accepted(client, db, organiser):
    response = client.post("/manage/events/new", data=event_form(starts_on="2024-01-01", ends_on="2024-12-31"))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Event.ends_on)) == date(2024, 12, 31)


@pytest.mark.parametrize(
    "overrides",
    [
        {"ends_on": "9999-12-31"},
        {"starts_on": "0001-01-01"},
        {"starts_on": "0001-01-01", "ends_on": "0001-01-01"},
        {"starts_on": "9999-12-31", "ends_on": "9999-12-31"},
        {"registration_deadline": "0001-01-01T00:00"},
    ],
)
def test_editing_an_event_far_outside_the_calendar_is_a_field_message(client, db, organiser, overrides):
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 2))
    make_session(event=event)
    db.session.commit()
    response = client.post(f"/manage/events/{event.id}/edit", data=event_form(**overrides))
    assert response.status_code == 200
    assert "Choose a date between 2000-01-01 and 2100-12-31." in html(response)
    db.session.refresh(event)
    assert (event.starts_on, event.ends_on, event.registration_deadline) == (date(2022, 6, 1), date(2022, 6, 2), None)


def test_editing_dates_that_would_strand_sessions_is_refused(client, db, organiser):
    event = make_event(starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 2))
    make_session(event=event, starts_at=utc(2022, 6, 2, 8), ends_at=utc(2022, 6, 2, 9))
    db.session.commit()
    response = client.post(
        f"/manage/events/{event.id}/edit", data=event_form(starts_on="2022-06-01", ends_on="2022-06-01")
    )
    assert "Some sessions would fall outside these dates" in html(response)
    db.session.refresh(event)
    assert event.ends_on == date(2022, 6, 2)


def test_publish_and_unpublish(client, db, organiser):
    event = make_event(is_published=False, name="Hidden")
    db.session.commit()
    seen: list = []

    def receiver(sender, event, **kwargs):
        seen.append(event.id)

    with signals.schedule_changed.connected_to(receiver):
        response = client.post(f"/manage/events/{event.id}/publish", follow_redirects=True)
        assert "The event is published." in html(response)
        db.session.refresh(event)
        assert event.is_published and event.published_at is not None
        assert event.first_published_at == event.published_at
        first = event.first_published_at
        assert "Hidden" in html(client.get("/"))

        again = client.post(f"/manage/events/{event.id}/publish", follow_redirects=True)
        assert "already published" in html(again)

        client.post(f"/manage/events/{event.id}/unpublish", data={"proceed": "yes"})
        db.session.refresh(event)
        assert not event.is_published and event.published_at is None
        assert event.first_published_at == first
    assert seen == [event.id, event.id]
    client.post("/account/logout")
    assert "Hidden" not in html(client.get("/"))


def test_publishing_again_keeps_the_first_publication(client, db, organiser):
    event = make_event(is_published=False)
    db.session.commit()
    client.post(f"/manage/events/{event.id}/publish")
    db.session.refresh(event)
    first = event.first_published_at
    client.post(f"/manage/events/{event.id}/unpublish", data={"proceed": "yes"})
    client.post(f"/manage/events/{event.id}/publish")
    db.session.refresh(event)
    assert event.is_published and event.published_at > first
    assert event.first_published_at == first


def test_delete_event_refusals_and_success(client, db, organiser):
    with_registration = make_event(name="Popular")
    make_registration(event=with_registration)
    with_sessions = make_event(name="Busy")
    make_session(event=with_sessions)
    empty = make_event(name="Empty")
    db.session.commit()
    empty_id = empty.id
    response = client.post(f"/manage/events/{with_registration.id}/delete", follow_redirects=True)
    assert "People have registered for this event" in html(response)
    response = client.post(f"/manage/events/{with_sessions.id}/delete", follow_redirects=True)
    assert "This event still has sessions" in html(response)
    response = client.post(f"/manage/events/{empty_id}/delete")
    assert response.status_code == 302
    names = set(db.session.scalars(sa.select(Event.name)))
    assert {"Busy", "Popular"} <= names and "Empty" not in names


def test_event_list_search_and_status_filter(client, db, organiser):
    make_event(name="H22 +50 Sessions")
    make_event(name="Smart City Forum", is_published=False)
    db.session.commit()
    assert "Smart City Forum" not in html(client.get("/manage/events?q=h22"))
    drafts = html(client.get("/manage/events?status=draft"))
    assert "Smart City Forum" in drafts and "H22 +50 Sessions" not in drafts


def test_event_list_search_takes_percent_and_underscore_literally(client, db, organiser):
    make_event(name="Net_Zero Days")
    make_event(name="Network Days")
    db.session.commit()
    page = html(client.get("/manage/events", query_string={"q": "t_"}))
    assert "Net_Zero Days" in page and "Network Days" not in page


def test_event_list_query_count_does_not_grow(client, db, organiser):
    for _ in range(3):
        make_session(event=make_event())
    db.session.commit()
    small = page_query_count(client, "/manage/events")
    for _ in range(27):
        make_session(event=make_event())
    db.session.commit()
    assert page_query_count(client, "/manage/events") == small
