from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from expo.accounts import services
from expo.accounts.forms import ChangePasswordForm, LoginForm, SignupForm
from expo.accounts.models import User
from expo.errors import ExpoError
from expo.extensions import db, limiter, login_manager
from expo.people.services import country_choices
from expo.permissions import is_signed_in, require

bp = Blueprint("accounts", __name__, url_prefix="/account")

login_manager.login_view = "accounts.login"
login_manager.login_message = None
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def safe_next(target: str | None) -> str | None:
    """Only a path on this site may be a redirect target after log-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


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


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("events.home"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if is_signed_in(current_user):
        return redirect(url_for("events.home"))
    form = SignupForm()
    form.country.choices = [("", _("— choose —"))] + country_choices()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                country_code=form.country.data or None,
                locale=form.locale.data,
            )
        except ExpoError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Your account is ready."), "success")
            return redirect(url_for("events.home"))
    return render_template("accounts/signup.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    require(is_signed_in(current_user))
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                user=current_user, current=form.current_password.data, new=form.new_password.data
            )
        except ExpoError as error:
            getattr(form, error.field or "new_password").errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Your password is changed."), "success")
            return redirect(url_for("events.home"))
    return render_template("accounts/change_password.html", form=form)
