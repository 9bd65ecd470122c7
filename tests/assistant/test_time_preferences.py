"""Speakers, moderators and hosts say when they would rather be on stage: the assistant weighs
the part of the day they prefer and never places their sessions on a day they cannot come."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from expo.accounts.models import Role
from expo.assistant import services
from expo.assistant.models import AssistantRun, DayPart, RunStatus, TimePreference
from expo.assistant.solver import Item, Placement, Problem, RoomSpec, Weights, solve
from expo.core.errors import InvalidState
from expo.core.extensions import db
from expo.core.timeutil import to_local
from expo.events.models import TeamMember, TeamRole
from tests.conftest import log_in
from tests.factories import add_person, make_event, make_room, make_session, make_user, make_venue, utc


def test_the_solver_weighs_a_preferred_part_of_the_day_against_moving():
    day = ((0, 8),)
    rooms = [RoomSpec(1, 1, 100, day)]
    item = Item(1, 2, start=0, room_id=1, preferred=(((4, 8),),))
    assert solve(Problem(rooms=rooms, items=[item], day_windows=day)).placements[1] == Placement(4, 1)
    cheap = Weights(preferred_time=0)
    assert solve(Problem(rooms=rooms, items=[item], day_windows=day, weights=cheap)).placements[1] == Placement(0, 1)
    # Two people preferring two different parts: the session follows the one it can please at less cost.
    both = Item(1, 2, start=0, room_id=1, preferred=(((4, 8),), ((0, 2),), ((0, 2),)))
    solution = solve(Problem(rooms=rooms, items=[both], day_windows=day))
    assert solution.placements[1] == Placement(0, 1) and solution.objective == 5


@pytest.fixture
def speaking(db):
    """A draft two-day event: a talk on the first morning, its speaker, an organiser."""
    event = make_event(is_published=False, starts_on=date(2022, 6, 1), ends_on=date(2022, 6, 2))
    room = make_room(venue=make_venue(), name="Hall", capacity=100)
    talk = make_session(event=event, room=room, starts_at=utc(2022, 6, 1, 8), title="Mobility talk")
    speaker = make_user(role=Role.DELEGATE)
    add_person(talk, speaker)
    organiser = make_user()
    db.session.add(TeamMember(event=event, user=organiser, role=TeamRole.ORGANISER))
    db.session.commit()
    return event, talk, speaker, organiser


def _run(event, talk, organiser):
    run = services.start_run(event=event, session_ids=[talk.id], weights=Weights(), time_limit=10,
                             move_published=False, actor=organiser)
    db.session.commit()
    db.session.expire_all()
    run = db.session.get(AssistantRun, run.id)
    assert run.status is RunStatus.DONE, run.error
    return {p["session_id"]: p for p in run.result["placements"]}[talk.id]


def test_a_session_moves_off_a_day_its_speaker_cannot_come(speaking):
    event, talk, speaker, organiser = speaking
    services.set_time_preference(event=event, person=speaker, part_of_day=None, unavailable=[date(2022, 6, 1)],
                                 actor=speaker)
    db.session.commit()
    place = _run(event, talk, organiser)
    assert place["moved"] and place["new_start"].startswith("2022-06-02")


def test_the_conflict_report_names_a_speaker_on_stage_on_a_day_they_cannot_come(speaking, client):
    from expo.programme import services as programme

    event, talk, speaker, organiser = speaking
    assert programme.conflict_report() == []
    services.set_time_preference(event=event, person=speaker, part_of_day=None, unavailable=[date(2022, 6, 2)],
                                 actor=speaker)
    db.session.commit()
    assert programme.conflict_report() == []  # the talk is on the first day
    services.set_time_preference(event=event, person=speaker, part_of_day=None, unavailable=[date(2022, 6, 1)],
                                 actor=speaker)
    db.session.commit()
    (item,) = programme.conflict_report()
    assert not item.refused and item.finding.person_id == speaker.id and item.finding.keys == (talk.id,)
    admin = make_user(role=Role.ADMIN)
    db.session.commit()
    log_in(client, admin)
    page = client.get("/manage/conflicts").get_data(as_text=True)
    assert f"{speaker.name} cannot come on 2022-06-01 but is in “Mobility talk”" in page
    # Another event's day off says nothing about this one.
    db.session.get(TimePreference, (speaker.id, event.id)).event_id = make_event().id
    db.session.commit()
    assert programme.conflict_report() == []


def test_a_session_moves_to_the_part_of_the_day_its_speaker_prefers(speaking):
    event, talk, speaker, organiser = speaking
    assert not _run(event, talk, organiser)["moved"]
    services.set_time_preference(event=event, person=speaker, part_of_day=DayPart.AFTERNOON, unavailable=[],
                                 actor=organiser)
    db.session.commit()
    place = _run(event, talk, organiser)
    from datetime import datetime

    local = to_local(datetime.fromisoformat(place["new_start"]), event.timezone)
    assert place["moved"] and local.date() == date(2022, 6, 1) and 12 <= local.hour and local.hour + 1 <= 17


def test_unavailable_days_lie_within_the_event(speaking):
    event, talk, speaker, organiser = speaking
    with pytest.raises(InvalidState):
        services.set_time_preference(event=event, person=speaker, part_of_day=None,
                                     unavailable=[date(2022, 6, 9)], actor=speaker)


def test_a_speaker_states_their_times_from_their_profile(speaking, client):
    event, talk, speaker, organiser = speaking
    log_in(client, speaker)
    page = client.get("/account/profile").get_data(as_text=True)
    url = f"/events/{event.id}/people/{speaker.id}/times"
    assert url in page
    assert 'value="2022-06-02"' in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"part_of_day": "morning", "unavailable_dates": ["2022-06-02"]})
    assert response.status_code == 302
    stated = db.session.get(TimePreference, (speaker.id, event.id))
    assert (stated.part_of_day, stated.unavailable_dates) == (DayPart.MORNING, ["2022-06-02"])


def test_organisers_see_and_edit_their_speakers_times(speaking, client):
    event, talk, speaker, organiser = speaking
    services.set_time_preference(event=event, person=speaker, part_of_day=DayPart.EVENING,
                                 unavailable=[date(2022, 6, 2)], actor=speaker)
    db.session.commit()
    log_in(client, organiser)
    page = client.get(f"/manage/events/{event.id}/assistant").get_data(as_text=True)
    assert f"/events/{event.id}/people/{speaker.id}/times" in page and "Evenings" in page
    response = client.post(f"/events/{event.id}/people/{speaker.id}/times", data={"part_of_day": ""})
    assert response.status_code == 302
    db.session.expire_all()
    stated = db.session.get(TimePreference, (speaker.id, event.id))
    assert stated.part_of_day is None and stated.unavailable_dates == []


def test_nobody_else_states_a_speaker_s_times(speaking, client):
    event, talk, speaker, organiser = speaking
    other = make_user(role=Role.DELEGATE)
    elsewhere = make_session(event=make_event(), starts_at=talk.starts_at + timedelta(days=3))
    add_person(elsewhere, other)
    db.session.commit()
    log_in(client, other)
    assert client.get(f"/events/{event.id}/people/{speaker.id}/times").status_code == 403
    # Nor their own for an event where they do not speak.
    assert client.post(f"/events/{event.id}/people/{other.id}/times", data={"part_of_day": "morning"}).status_code == 403
    assert db.session.get(TimePreference, (other.id, event.id)) is None


def test_two_speakers_of_one_name_are_told_apart_by_organisation_and_e_mail(speaking, client):
    from tests.factories import make_organisation

    event, talk, speaker, organiser = speaking
    city, region = make_organisation(name="Helsingborg City"), make_organisation(name="Skåne Region")
    speaker.name, speaker.organisation = "Anna Berg", city
    others = [make_user(name="Anna Berg", organisation=region, email="anna.berg@skane.example"),
              make_user(name="Anna Berg", organisation=region, email="a.berg@skane.example")]
    for other in others:
        add_person(talk, other)
    db.session.commit()
    log_in(client, organiser)
    page = client.get(f"/manage/events/{event.id}/assistant").get_data(as_text=True)
    assert "Anna Berg</a> <small>(Helsingborg City)</small>" in page
    assert "Anna Berg</a> <small>(Skåne Region, anna.berg@skane.example)</small>" in page
    assert "Anna Berg</a> <small>(Skåne Region, a.berg@skane.example)</small>" in page
