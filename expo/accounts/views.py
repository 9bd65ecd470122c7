from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME

from expo.accounts import services
from expo.accounts.forms import (
    NEW_ORGANISATION,
    ChangePasswordForm,
    DeleteAccountForm,
    LanguageForm,
    LoginForm,
    ProfileFields,
    ProfileForm,
    SignupForm,
)
from expo.accounts.models import User
from expo.core.errors import ExpoError
from expo.core.extensions import db, limiter, login_manager
from expo.core.security import safe_next
from expo.people.models import Organisation, OrganisationKind
from expo.people.services import country_choices
from expo.permissions import is_signed_in, require
from expo.registration import privacy

bp = Blueprint("accounts", __name__, url_prefix="/account")

login_manager.login_view = "accounts.login"
login_manager.login_message = None
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return services.user_by_login_id(user_id)


def _login_throttle_key() -> str:
    email = (request.form.get("email") or "").strip().lower()
    return f"login:{request.remote_addr}:{email}"


def _login_failed(response) -> bool:
    return request.method == "POST" and response.status_code != 302


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, key_func=_login_throttle_key, methods=["POST"], deduct_when=_login_failed)
def login():
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = services.authenticate(email=form.email.data, password=form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(form.next.data) or url_for("events.home"))
        form.password.errors.append(_("E-mail or password is not right."))
    return render_template("accounts/login.html", form=form), 200


def _keeps_signed_in() -> bool:
    """Whether this browser signed in with "Keep me signed in"."""
    return current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("events.home"))


def _fill(form: ProfileFields) -> None:
    form.fill(countries=country_choices(), organisations=services.organisation_choices(),
              networks=services.network_choices())


def _chosen_organisation(form: ProfileFields) -> Organisation | None:
    """The organisation picked in the form, or the new one it names (created now)."""
    if form.organisation.data == NEW_ORGANISATION:
        return services.find_or_create_organisation(
            name=form.new_organisation_name.data,
            kind=OrganisationKind(form.new_organisation_kind.data or OrganisationKind.CITY.value),
            country_code=form.new_organisation_country.data or form.country.data or None,
        )
    return db.session.get(Organisation, int(form.organisation.data)) if form.organisation.data else None


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Public: anyone may create a delegate account."""
    if is_signed_in(current_user):
        return redirect(url_for("events.home"))
    form = SignupForm()
    _fill(form)
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                organisation=_chosen_organisation(form),
                country_code=form.country.data or None,
                networks=services.networks_by_ids(form.networks.data or []),
                locale=form.locale.data,
            )
            services.set_needs(user=user, accessibility=form.accessibility_needs.data,
                               dietary=form.dietary_needs.data, consent=form.needs_consent.data)
        except ExpoError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Your account is ready."), "success")
            return redirect(url_for("events.home"))
    return render_template("accounts/signup.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """The signed-in user's own profile (nobody else's: there is no id in the address)."""
    require(is_signed_in(current_user))
    user = current_user._get_current_object()
    form = ProfileForm(data={
        "name": user.name,
        "email": user.email,
        "organisation": str(user.organisation_id or ""),
        "country": user.country_code or "",
        "networks": [n.id for n in user.networks],
        "locale": user.locale,
        "accessibility_needs": user.accessibility_needs or "",
        "dietary_needs": user.dietary_needs or "",
        "needs_consent": user.needs_consent_at is not None,
    })
    _fill(form)
    form.had_consent = user.needs_consent_at is not None
    if form.validate_on_submit():
        keep_needs = form.needs_consent.data
        try:
            services.update_profile(
                user=user, actor=user, name=form.name.data, email=form.email.data,
                organisation=_chosen_organisation(form), country_code=form.country.data or None,
                networks=services.networks_by_ids(form.networks.data or []), locale=form.locale.data,
            )
            services.set_needs(user=user, accessibility=form.accessibility_needs.data if keep_needs else None,
                               dietary=form.dietary_needs.data if keep_needs else None, consent=keep_needs)
        except ExpoError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)


@bp.route("/data.json")
@login_required
def export_data():
    """The signed-in user downloads everything Expo holds about them."""
    require(is_signed_in(current_user))
    user = current_user._get_current_object()
    payload = json.dumps(privacy.exported_user_data(user=user, actor=user), ensure_ascii=False, indent=2)
    db.session.commit()
    return Response(payload, content_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="my-expo-data.json"',
                             "Cache-Control": "no-store"})


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    """The signed-in user deletes their own account after giving their password."""
    require(is_signed_in(current_user))
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.password.data):
            form.password.errors.append(_("The password is not right."))
        else:
            user = current_user._get_current_object()
            logout_user()
            privacy.delete_account(user=user, actor=user)
            db.session.commit()
            flash(_("Your account is deleted. Thank you for coming."), "info")
            return redirect(url_for("events.home"))
    return render_template("accounts/delete.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    require(is_signed_in(current_user))
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user=user, current=form.current_password.data, new=form.new_password.data)
        except ExpoError as error:
            getattr(form, error.field or "new_password").errors.append(error.message)
        else:
            db.session.commit()
            # Every other session now names the old password and is signed out; this one
            # (and its "keep me signed in" cookie, if it has one) moves to the new password.
            login_user(user, remember=_keeps_signed_in())
            flash(_("Your password is changed."), "success")
            return redirect(url_for("events.home"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/language", methods=["POST"])
def set_language():
    """Anyone may switch the interface language; a signed-in user keeps the choice."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if is_signed_in(current_user):
            services.set_locale(user=current_user, locale=form.lang.data)
            db.session.commit()
    return redirect(safe_next(form.next.data) or url_for("events.home"))
