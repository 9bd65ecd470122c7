"""Twinning pages: organisers' programmes, pilot cities, applications and matching; the call
and the delegate's own application and twin."""
from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from expo.accounts.models import User
from expo.core.db import get_or_404
from expo.core.i18n import language_name
from expo.events.queries import expo_timezone
from expo.core.i18n import local_datetime
from expo.permissions import (
    can_answer_one_to_one,
    can_apply_twinning,
    can_manage_twinning,
    can_meet_one_to_one,
    can_read_city_document,
    can_view_application,
    require,
    twinning_people,
)
from expo.programme.pages import guard, perform, submit
from expo.core.spreadsheets import csv_bytes
from expo.twinning import claims, meetings, one_to_one, reports, services
from expo.twinning.forms import (
    ApplicationForm,
    CityForm,
    DecisionForm,
    AnswerForm,
    ClaimDecisionForm,
    ClaimForm,
    PlanForm,
    MeetingForm,
    OneToOneForm,
    PairRuleForm,
    ProgrammeForm,
    WeightsForm,
)
from expo.twinning.queries import explain
from expo.twinning.models import theme_label, OneToOne, ReplicationPlan, TravelClaim, ApplicationStatus, PairRuleKind, PilotCity, TwinningApplication, TwinningProgramme

bp = Blueprint("twinning", __name__)


@bp.record_once
def _warm_menu_on_sign_in(state) -> None:
    """Whether a person takes part in twinning is read (and cached) as they sign in, not on
    their first page."""
    from flask_login import user_logged_in

    user_logged_in.connect(lambda app, user: twinning_people(), state.app, weak=False)

bp.add_app_template_global(theme_label)
bp.add_app_template_global(language_name)
bp.add_app_template_global(explain, "explain_pair")


def _programme_page(programme_id: int) -> str:
    return url_for("twinning.show_programme", programme_id=programme_id)


# --- organisers -----------------------------------------------------------------------------

@bp.route("/manage/twinning/")
@guard(can_manage_twinning)
def list_programmes():
    return render_template("twinning/programmes.html", programmes=services.list_programmes(), zone=expo_timezone())


@bp.route("/manage/twinning/new", methods=["GET", "POST"])
@guard(can_manage_twinning)
def new_programme():
    form = ProgrammeForm(zone=expo_timezone())
    return submit(
        form, lambda: services.create_programme(data=form.programme_data(), actor=current_user),
        _("Programme created. Now record its pilot cities."), lambda programme: _programme_page(programme.id),
    ) or render_template("twinning/programme_form.html", form=form, programme=None)


@bp.route("/manage/twinning/<int:programme_id>/edit", methods=["GET", "POST"])
@guard(can_manage_twinning)
def edit_programme(programme_id: int):
    programme = get_or_404(TwinningProgramme, programme_id)
    zone = expo_timezone()
    form = ProgrammeForm(zone=zone) if request.method == "POST" else ProgrammeForm.for_programme(programme, zone)
    return submit(
        form, lambda: services.update_programme(programme=programme, data=form.programme_data(), actor=current_user),
        _("Programme saved."), lambda programme: _programme_page(programme.id),
    ) or render_template("twinning/programme_form.html", form=form, programme=programme)


@bp.route("/manage/twinning/<int:programme_id>")
@guard(can_manage_twinning)
def show_programme(programme_id: int):
    programme = get_or_404(TwinningProgramme, programme_id,
                           options=[selectinload(TwinningProgramme.pilots).selectinload(PilotCity.contacts)])
    applications = services.list_applications(programme)
    return render_template("twinning/programme.html", programme=programme, applications=applications,
                           zone=expo_timezone(), statuses=list(ApplicationStatus))


@bp.route("/manage/twinning/<int:programme_id>/pilots/new", methods=["GET", "POST"])
@guard(can_manage_twinning)
def new_pilot(programme_id: int):
    programme = get_or_404(TwinningProgramme, programme_id)
    form = CityForm.for_programme(programme)
    return submit(
        form, lambda: services.save_pilot(programme=programme, data=form.city_data(), actor=current_user),
        _("Pilot city recorded."), lambda pilot: _programme_page(programme.id),
    ) or render_template("twinning/pilot_form.html", form=form, programme=programme, pilot=None)


@bp.route("/manage/twinning/pilots/<int:pilot_id>/edit", methods=["GET", "POST"])
@guard(can_manage_twinning)
def edit_pilot(pilot_id: int):
    pilot = get_or_404(PilotCity, pilot_id)
    form = CityForm.for_programme(pilot.programme)
    if request.method == "GET":
        form.fill(pilot)
    return submit(
        form, lambda: services.save_pilot(programme=pilot.programme, pilot=pilot, data=form.city_data(),
                                          actor=current_user),
        _("Pilot city saved."), lambda pilot: _programme_page(pilot.programme_id),
    ) or render_template("twinning/pilot_form.html", form=form, programme=pilot.programme, pilot=pilot)


@bp.route("/manage/twinning/applications/<int:application_id>", methods=["GET", "POST"])
@guard(can_manage_twinning)
def show_application(application_id: int):
    application = get_or_404(TwinningApplication, application_id)
    form = DecisionForm()
    return submit(
        form, lambda: services.decide_application(application=application, decision=form.decision.data,
                                                  actor=current_user),
        _("Decision saved; the applicant is told by e-mail."), lambda a: _programme_page(a.programme_id),
    ) or render_template("twinning/application.html", application=application, form=form, zone=expo_timezone())


@bp.route("/manage/twinning/<int:programme_id>/matching")
@guard(can_manage_twinning)
def show_matching(programme_id: int):
    """The weights, the pairs of the last run with their reasons, and the organiser's rules."""
    programme = get_or_404(TwinningProgramme, programme_id)
    form = WeightsForm(formdata=None, data={**services.matching.normalised_weights(programme.weights),
                                            "separate_countries": programme.separate_countries})
    return _matching_page(programme, form)


def _matching_page(programme: TwinningProgramme, form: WeightsForm) -> str:
    return render_template("twinning/matching.html", programme=programme, form=form,
                           pairs=services.list_pairs(programme), rules=services.pair_rules(programme),
                           accepted=services.list_applications(programme, ApplicationStatus.ACCEPTED),
                           rule_form=PairRuleForm(formdata=None))


@bp.route("/manage/twinning/<int:programme_id>/matching/run", methods=["POST"])
@guard(can_manage_twinning)
def run_matching(programme_id: int):
    """Save the weights and run the matching again."""
    programme = get_or_404(TwinningProgramme, programme_id)
    form = WeightsForm()
    return submit(
        form, lambda: services.run_matching(programme=programme, weights=form.weights(),
                                            separate_countries=form.separate_countries.data, actor=current_user),
        _("Matching done."), lambda run: url_for("twinning.show_matching", programme_id=programme.id),
    ) or _matching_page(programme, form)


@bp.route("/manage/twinning/<int:programme_id>/rules", methods=["POST"])
@guard(can_manage_twinning)
def set_pair_rule(programme_id: int):
    programme = get_or_404(TwinningProgramme, programme_id)
    form = PairRuleForm()
    back = url_for("twinning.show_matching", programme_id=programme.id)
    if not form.validate_on_submit():
        return redirect(back)
    application = get_or_404(TwinningApplication, form.application_id.data)
    pilot = get_or_404(PilotCity, form.pilot_id.data)
    kind = None if form.kind.data == "clear" else PairRuleKind(form.kind.data)
    return perform(
        lambda: services.set_pair_rule(programme=programme, application=application, pilot=pilot, kind=kind,
                                       actor=current_user),
        _("Rule saved. Run the matching again to apply it."), back,
    )


@bp.route("/manage/twinning/<int:programme_id>/publish", methods=["POST"])
@guard(can_manage_twinning)
def publish_pairs(programme_id: int):
    programme = get_or_404(TwinningProgramme, programme_id)
    return perform(
        lambda: services.publish_pairs(programme=programme, actor=current_user),
        _("The pairs are published; every twin city is told its pilot city."),
        url_for("twinning.show_matching", programme_id=programme.id),
    )


@bp.route("/manage/twinning/<int:programme_id>/meetings", methods=["GET", "POST"])
@guard(can_manage_twinning)
def list_meetings(programme_id: int):
    """The pairs' meetings by module, and a form to plan one more."""
    programme = get_or_404(TwinningProgramme, programme_id)
    form = MeetingForm(programme=programme)
    back = url_for("twinning.list_meetings", programme_id=programme.id)
    return submit(
        form, lambda: meetings.schedule_meeting(programme=programme, data=form.meeting_data(), actor=current_user),
        _("Meeting planned; both cities' contact people have it in their agenda."), lambda meeting: back,
    ) or render_template("twinning/meetings.html", programme=programme, form=form,
                         meetings=meetings.list_meetings(programme))


# --- delegates ------------------------------------------------------------------------------

@bp.route("/twinning/")
@guard(can_apply_twinning)
def my_twinning():
    applications = services.my_applications(current_user)
    pairs = {a.id: services.pair_of(a) for a in applications}
    return render_template("twinning/mine.html", applications=applications, pairs=pairs,
                           programmes=services.open_programmes(), taking_part=services.programmes_of(current_user),
                           zone=expo_timezone())


@bp.route("/twinning/<int:programme_id>/apply", methods=["GET", "POST"])
@guard(can_apply_twinning)
def apply(programme_id: int):
    programme = get_or_404(TwinningProgramme, programme_id)
    application = services.application_of(programme, current_user)
    if application is not None:
        require(can_view_application(current_user, application))
    form = ApplicationForm.for_programme(programme)
    if request.method == "GET" and application is not None:
        form.fill(application)
    return submit(
        form, lambda: services.submit_application(programme=programme, data=form.application_data(),
                                                  actor=current_user),
        _("Application saved. You can change it until the call closes."),
        lambda a: url_for("twinning.apply", programme_id=programme.id),
    ) or render_template("twinning/apply.html", form=form, programme=programme, application=application,
                         zone=expo_timezone(), is_open=programme.is_open())


@bp.route("/twinning/<int:programme_id>/one-to-ones", methods=["GET", "POST"])
@guard(can_apply_twinning)
def one_to_ones(programme_id: int):
    """The delegate's one-to-ones, suggestions of whom to meet, and a request in the slot grid."""
    programme = get_or_404(TwinningProgramme, programme_id)
    require(can_meet_one_to_one(current_user, programme))
    people, grid = one_to_one.request_choices(programme, current_user)
    zone = programme.event.timezone if programme.event else expo_timezone()
    form = OneToOneForm(people=people, slots=[(s.isoformat(), local_datetime(s, zone, "short")) for s in grid])
    back = url_for("twinning.one_to_ones", programme_id=programme.id)
    return submit(
        form, lambda: one_to_one.request_meeting(
            programme=programme, invitee=get_or_404(User, form.invitee_id.data), starts_at=form.instant(),
            online=form.place.data == "online", actor=current_user),
        _("Request sent."), lambda meeting: back,
    ) or render_template("twinning/one_to_ones.html", programme=programme, form=form, zone=zone,
                         meetings=one_to_one.my_meetings(programme, current_user),
                         suggestions=one_to_one.suggestions(programme, current_user), answer_form=AnswerForm())


@bp.route("/twinning/one-to-ones/<int:meeting_id>/answer", methods=["POST"])
@guard(can_apply_twinning)
def answer_one_to_one(meeting_id: int):
    meeting = get_or_404(OneToOne, meeting_id)
    require(can_answer_one_to_one(current_user, meeting))
    form = AnswerForm()
    back = url_for("twinning.one_to_ones", programme_id=meeting.programme_id)
    if not form.validate_on_submit():
        return redirect(back)
    return perform(lambda: one_to_one.answer_meeting(meeting=meeting, accept=form.answer.data == "accept",
                                                     actor=current_user), _("Answer saved."), back)


# --- travel claims and replication plans ---------------------------------------------------

def _city_page(programme: TwinningProgramme, claim_form: ClaimForm, plan_form: PlanForm) -> str:
    member = claims.city_of(programme, current_user)
    return render_template("twinning/claims.html", programme=programme, member=member, claim_form=claim_form,
                           plan_form=plan_form, claims=claims.city_claims(programme, member),
                           claimed=claims.claimed_cents(programme, member), plan=claims.plan_of(programme, member))


def _claim_form(programme: TwinningProgramme, **kwargs) -> ClaimForm:
    member = claims.city_of(programme, current_user)
    return ClaimForm(meetings=[(m.id, f"{m.module.name}: {m.session.title}")
                               for m in claims.city_meetings(programme, member)], **kwargs)


@bp.route("/twinning/<int:programme_id>/claims", methods=["GET", "POST"])
@guard(can_apply_twinning)
def city_claims(programme_id: int):
    """The city's travel claims against its cap, a new claim, and its replication plan."""
    programme = get_or_404(TwinningProgramme, programme_id)
    require(can_meet_one_to_one(current_user, programme))
    form = _claim_form(programme)
    back = url_for("twinning.city_claims", programme_id=programme.id)
    return submit(
        form, lambda: claims.record_claim(programme=programme, data=form.claim_data(), actor=current_user),
        _("Claim recorded; the organisers will approve or refuse it."), lambda claim: back,
    ) or _city_page(programme, form, PlanForm(formdata=None))


@bp.route("/twinning/<int:programme_id>/plan", methods=["POST"])
@guard(can_apply_twinning)
def upload_plan(programme_id: int):
    programme = get_or_404(TwinningProgramme, programme_id)
    require(can_meet_one_to_one(current_user, programme))
    form = PlanForm()
    back = url_for("twinning.city_claims", programme_id=programme.id)
    return submit(
        form, lambda: claims.upload_plan(programme=programme, upload=form.upload(), actor=current_user),
        _("Replication plan uploaded."), lambda plan: back,
    ) or _city_page(programme, _claim_form(programme, formdata=None), form)


def _download(name: str, content_type: str, content: bytes) -> Response:
    safe = "".join(c for c in name if c.isalnum() or c in "._- ") or "file"
    return Response(content, content_type=content_type,
                    headers={"Content-Disposition": f'attachment; filename="{safe}"',
                             "X-Content-Type-Options": "nosniff"})


@bp.route("/twinning/claims/<int:claim_id>/receipt")
@guard(can_apply_twinning)
def show_receipt(claim_id: int):
    claim = get_or_404(TravelClaim, claim_id)
    require(can_read_city_document(current_user, claim))
    return _download(claim.receipt_name, claim.receipt_type, claim.receipt)


@bp.route("/twinning/plans/<int:plan_id>")
@guard(can_apply_twinning)
def show_plan(plan_id: int):
    plan = get_or_404(ReplicationPlan, plan_id)
    require(can_read_city_document(current_user, plan))
    return _download(plan.filename, plan.content_type, plan.content)


@bp.route("/manage/twinning/<int:programme_id>/claims")
@guard(can_manage_twinning)
def list_claims(programme_id: int):
    """Every city's claims with approve and refuse, totals per city and module, and the plans."""
    programme = get_or_404(TwinningProgramme, programme_id)
    every = claims.all_claims(programme)
    return render_template("twinning/manage_claims.html", programme=programme, claims=every,
                           totals=claims.totals(programme, every), plans=claims.plans(programme),
                           modules=programme.modules, decision_form=ClaimDecisionForm())


@bp.route("/manage/twinning/claims/<int:claim_id>/decide", methods=["POST"])
@guard(can_manage_twinning)
def decide_claim(claim_id: int):
    claim = get_or_404(TravelClaim, claim_id)
    form = ClaimDecisionForm()
    back = url_for("twinning.list_claims", programme_id=claim.programme_id)
    if not form.validate_on_submit():
        return redirect(back)
    return perform(lambda: claims.decide_claim(claim=claim, approve=form.decision.data == "approve",
                                               actor=current_user), _("Decision saved."), back)


# --- reports --------------------------------------------------------------------------------

@bp.route("/manage/twinning/<int:programme_id>/reports")
@guard(can_manage_twinning)
def show_reports(programme_id: int):
    programme = get_or_404(TwinningProgramme, programme_id)
    zone = expo_timezone()
    tables = {key: (report.title, report.build(programme, zone)) for key, report in reports.REPORTS.items()}
    return render_template("twinning/reports.html", programme=programme, tables=tables)


@bp.route("/manage/twinning/<int:programme_id>/reports/<report>.csv")
@guard(can_manage_twinning)
def export_report(programme_id: int, report: str):
    programme = get_or_404(TwinningProgramme, programme_id)
    chosen = reports.REPORTS.get(report)
    if chosen is None:
        abort(404)
    table = chosen.build(programme, expo_timezone())
    return Response(csv_bytes([[str(h) for h in table.header], *([str(c) for c in row] for row in table.rows)]),
                    content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="twinning-{programme.id}-{report}.csv"'})
