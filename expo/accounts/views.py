from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME

from expo.accounts import services, throttle
from expo.accounts.forms import (
    NEW_ORGANISATION,
    ChangePasswordForm,
    DeleteAccountForm,
    InvitationsForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    ProfileFields,
    ProfileForm,
    ResendVerificationForm,
    ResetPasswordForm,
    SignupForm,
)
from expo.accounts.models import User
from expo.core.errors import ExpoError
from expo.core.extensions import db, limiter, login_manager
from expo.core.security import no_store, safe_next
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


def _sign_in(user: User, *, remember: bool, to: str) -> Response:
    """Sign this browser in: the CSRF token of the anonymous visit is replaced by a new one,
    and the device is remembered as one that signed in to the account (see throttle)."""
    login_user(user, remember=remember)
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    return throttle.remember_device(redirect(to), user.email)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(throttle.config_limit("LOGIN_RATE_LIMIT"), key_func=throttle.client_key, methods=["POST"],
               deduct_when=throttle.failed)
@limiter.limit(throttle.config_limit("LOGIN_ADDRESS_RATE_LIMIT"), key_func=throttle.address_key,
               methods=["POST"], deduct_when=throttle.failed, exempt_when=throttle.is_known_device)
@limiter.limit(throttle.config_limit("LOGIN_ACCOUNT_RATE_LIMIT"), key_func=throttle.account_key,
               methods=["POST"], deduct_when=throttle.failed, exempt_when=throttle.is_known_device)
def login():
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = services.authenticate(email=form.email.data, password=form.password.data)
        if user is not None:
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return _sign_in(user, remember=form.remember.data, to=safe_next(form.next.data) or url_for("events.home"))
        form.password.errors.append(_("E-mail or password is not right."))
    return render_template("accounts/login.html", form=form), 200


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(throttle.config_limit("PASSWORD_RESET_RATE_LIMIT"), methods=["POST"])
@limiter.limit(throttle.config_limit("PASSWORD_RESET_EMAIL_RATE_LIMIT"), key_func=throttle.account_key,
               methods=["POST"])
def forgot_password():
    """Public: ask for a link to choose a new password; the answer is the same for every address."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(email=form.email.data)
        db.session.commit()
        flash(_("If an account has this address, an e-mail with a link to choose a new password is on "
                "its way. Check your inbox (and the spam folder)."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@no_store
def reset_password(token: str):
    """Public: the signed link from the e-mail is the credential; it works once, for a while."""
    if services.user_for_reset(token) is None:
        return render_template("accounts/reset_password.html", form=None)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token=token, new=form.new_password.data)
        except ExpoError as error:
            db.session.rollback()
            getattr(form, error.field or "new_password").errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your new password is set and you are signed in. Every other device was signed out."),
                  "success")
            return _sign_in(user, remember=False, to=url_for("events.home"))
    return render_template("accounts/reset_password.html", form=form)


def _keeps_signed_in() -> bool:
    """Whether this browser signed in with "Keep me signed in"."""
    return current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies


@bp.route("/logout", methods=["POST"])
def logout():
    """Ends the account's sessions on the server too: a copied session cookie or a "keep me
    signed in" cookie made before no longer signs anyone in (see end_all_sessions)."""
    if is_signed_in(current_user):
        services.end_all_sessions(user=current_user._get_current_object())
        db.session.commit()
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
@limiter.limit(throttle.config_limit("SIGNUP_RATE_LIMIT"), methods=["POST"])
def signup():
    """Public: anyone may create a delegate account. Whether the address had one already is
    told only to that address's mailbox."""
    if is_signed_in(current_user):
        return redirect(url_for("events.home"))
    form = SignupForm()
    _fill(form)
    if form.validate_on_submit():
        try:
            user = services.sign_up(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                organisation=_chosen_organisation(form),
                country_code=form.country.data or None,
                networks=services.networks_by_ids(form.networks.data or []),
                locale=form.locale.data,
            )
            if user is not None:
                services.set_needs(user=user, accessibility=form.accessibility_needs.data,
                                   dietary=form.dietary_needs.data, consent=form.needs_consent.data)
        except ExpoError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            db.session.commit()
            return redirect(url_for("accounts.check_email"))
    return render_template("accounts/signup.html", form=form)


@bp.route("/signup/sent")
def check_email():
    """Public: what every sign-up is answered with, whether or not the address had an account."""
    return render_template("accounts/check_email.html")


@bp.route("/verify/<token>")
def verify_email(token: str):
    """Public: the signed link from the e-mail confirms the address it was sent to."""
    try:
        user = services.verify_email(token=token)
    except ExpoError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Thank you: %(email)s is confirmed.", email=user.email), "success")
    return redirect(url_for("accounts.profile") if is_signed_in(current_user) else url_for("accounts.login"))


def _resend_key() -> str:
    return f"verify:{current_user.get_id() if is_signed_in(current_user) else request.remote_addr}"


@bp.route("/verify/resend", methods=["POST"])
@login_required
@limiter.limit(throttle.config_limit("VERIFICATION_RESEND_RATE_LIMIT"), key_func=_resend_key)
def resend_verification():
    """The signed-in owner asks for the verification link again."""
    require(is_signed_in(current_user))
    form = ResendVerificationForm()
    if form.validate_on_submit():
        try:
            address = services.send_verification(user=current_user._get_current_object())
        except ExpoError as error:
            flash(error.message, "info")
        else:
            db.session.commit()
            flash(_("A new link is on its way to %(email)s.", email=address), "success")
    return redirect(safe_next(form.next.data) or url_for("accounts.profile"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
@no_store
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
        "wants_invitations": user.wants_invitations,
    })
    _fill(form)
    form.had_consent = user.needs_consent_at is not None
    if form.validate_on_submit():
        keep_needs = form.needs_consent.data
        waiting = user.pending_email
        try:
            services.update_profile(
                user=user, actor=user, name=form.name.data, email=form.email.data,
                organisation=_chosen_organisation(form), country_code=form.country.data or None,
                networks=services.networks_by_ids(form.networks.data or []), locale=form.locale.data,
            )
            services.set_needs(user=user, accessibility=form.accessibility_needs.data if keep_needs else None,
                               dietary=form.dietary_needs.data if keep_needs else None, consent=keep_needs)
            services.set_invitations(user=user, actor=user, wanted=form.wants_invitations.data)
        except ExpoError as error:
            db.session.rollback()
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            if user.pending_email and user.pending_email != waiting:
                flash(_("We sent a link to %(email)s: your address changes once you follow it.",
                        email=user.pending_email), "info")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)


@bp.route("/invitations", methods=["POST"])
@login_required
def set_invitations():
    """The signed-in user chooses, on their agenda, whether booking e-mails carry invitations."""
    require(is_signed_in(current_user))
    form = InvitationsForm()
    if form.validate_on_submit():  # a bad CSRF token is refused before (400)
        wanted = bool(form.wants_invitations.data)
        services.set_invitations(user=current_user, actor=current_user, wanted=wanted)
        db.session.commit()
        flash(_("Your booking e-mails carry calendar invitations.") if wanted
              else _("Your booking e-mails no longer carry calendar invitations."), "success")
    return redirect(url_for("registration.agenda") + "#calendar-invitations")


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
