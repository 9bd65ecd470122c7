"""E-mails to applicant cities about their application and their twin, in each applicant's language."""
from __future__ import annotations

from flask_babel import gettext as _

from expo.core import mailqueue
from expo.registration.notifications import _compose, written_for
from expo.twinning.models import ApplicationStatus, TwinningApplication, TwinningPair

_DECISION_TEMPLATES = {
    ApplicationStatus.SHORTLISTED: "twinning_shortlisted",
    ApplicationStatus.ACCEPTED: "twinning_accepted",
    ApplicationStatus.DECLINED: "twinning_declined",
}


def _send(application: TwinningApplication, template: str, subject: str, **context) -> None:
    mailqueue.send_after_commit(_compose(application.user, template, subject, application=application,
                                         programme=application.programme, **context))


def application_received(application: TwinningApplication) -> None:
    with written_for(application.user):
        _send(application, "twinning_received",
              _("Application received: %(programme)s", programme=application.programme.name))


def application_decided(application: TwinningApplication) -> None:
    template = _DECISION_TEMPLATES.get(application.status)
    if template is None:
        return
    with written_for(application.user):
        _send(application, template, _("Your application: %(programme)s", programme=application.programme.name))


def pair_published(pair: TwinningPair) -> None:
    application = pair.application
    with written_for(application.user):
        _send(application, "twinning_pair", _("Your twin city: %(pilot)s", pilot=pair.pilot.name), pair=pair)


