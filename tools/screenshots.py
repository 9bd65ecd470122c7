"""Screenshots of Expo's main pages, as each role sees them on a phone and on a laptop.

    make screenshots                    # or: python -m tools.screenshots [--out screenshots]

Loads the H22 demo (moved to the current week, as `make run` does) into a throw-away SQLite
database, serves it on a free local port and opens every page below with Debian's Chromium
(EXPO_CHROMIUM names another) at 390 and 1280 px, signed in as each demo account. A page the
role may not open is left out. The PNGs go to ``screenshots/`` (ignored by git), named
``<role>-<width>-<page>.png``; ``--readme`` also writes the README's three small pictures to
docs/img/."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("EXPO_CHROMIUM", "/usr/bin/chromium")
WIDTHS = (390, 1280)
HEIGHTS = {390: 844, 1280: 900}
ROLES = ("anonymous", "delegate", "staff", "organiser")
# The README's pictures: (role, width, page, file under docs/img/).
README_PICTURES = (
    ("anonymous", 1280, "grid", "programme-grid.png"),
    ("delegate", 390, "agenda", "agenda-phone.png"),
    ("organiser", 1280, "statistics", "statistics.png"),
)


@dataclass(frozen=True)
class Shot:
    name: str
    path: str


def pages(anchor_slug: str, event_id: int, session_id: int, door_session_id: int) -> list[Shot]:
    return [
        Shot("home", "/"),
        Shot("grid", f"/events/{anchor_slug}/grid"),
        Shot("programme", f"/events/{anchor_slug}"),
        Shot("session", f"/sessions/{session_id}"),
        Shot("agenda", "/agenda"),
        Shot("door", "/door/"),
        Shot("door-list", f"/door/sessions/{door_session_id}"),
        Shot("dashboard", "/manage/"),
        Shot("registrations", f"/manage/events/{anchor_slug}/registrations"),
        Shot("pending", f"/manage/events/{anchor_slug}/registrations?status=pending"),
        Shot("bookings", f"/manage/sessions/{session_id}/bookings"),
        Shot("statistics", "/stats/"),
        Shot("people", "/manage/people/"),
        Shot("branding", "/manage/settings/branding"),
        Shot("sessions", f"/manage/events/{event_id}/sessions"),
        Shot("releases", f"/manage/events/{event_id}/pending"),
        Shot("assistant", f"/manage/events/{event_id}/assistant"),
        Shot("twinning", "/manage/twinning/"),
        Shot("my-twinning", "/twinning/"),
    ]


def build_app(workdir: Path):
    """The app on a fresh SQLite database holding the demo."""
    os.environ["EXPO_INSTANCE_PATH"] = str(workdir)
    sys.path.insert(0, str(ROOT))
    from expo import create_app
    from expo.core.extensions import db
    from expo.core.timeutil import utcnow
    from expo.demo.h22 import load_demo
    from expo.people.services import sync_countries

    app = create_app({
        "DATABASE_URL": f"sqlite:///{workdir / 'screenshots.sqlite'}",
        "SECRET_KEY": "screenshots-only",
        "CACHE_TYPE": "SimpleCache",
        "REDIS_URL": None,
        "JOB_QUEUE": "eager",
        "RATELIMIT_ENABLED": False,
        "MAIL_SERVER": None,
    })
    with app.app_context():
        db.create_all()
        sync_countries()
        load_demo(now=utcnow())
        db.session.commit()
    return app


def chosen_sessions(app) -> tuple[str, int, int, int]:
    """The demo's first event, one of its sessions with bookings, and a session held today."""
    import sqlalchemy as sa

    from expo.core.extensions import db
    from expo.core.timeutil import utcnow
    from expo.demo import catalogue as cat
    from expo.events.models import Event
    from expo.programme.models import ProgrammeSession
    from expo.registration.models import Booking

    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == cat.ANCHOR_EVENT_SLUG))
        booked = db.session.scalar(
            sa.select(ProgrammeSession.id).join(Booking, Booking.session_id == ProgrammeSession.id)
            .where(ProgrammeSession.event_id == event.id).group_by(ProgrammeSession.id)
            .order_by(sa.func.count(Booking.id).desc()).limit(1))
        now = utcnow()
        today = db.session.scalar(
            sa.select(ProgrammeSession.id).join(Booking, Booking.session_id == ProgrammeSession.id)
            .where(ProgrammeSession.starts_at <= now.replace(hour=23, minute=59),
                   ProgrammeSession.starts_at >= now.replace(hour=0, minute=0))
            .group_by(ProgrammeSession.id).order_by(sa.func.count(Booking.id).desc()).limit(1))
        return event.slug, event.id, booked, today or booked


def serve(app) -> tuple[str, object]:
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    return url, server


def shoot(base_url: str, shots: list[Shot], out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from expo.demo.h22 import DEMO_LOGINS

    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for role in ROLES:
            for width in WIDTHS:
                context = browser.new_context(base_url=base_url, viewport={"width": width, "height": HEIGHTS[width]},
                                              locale="en-GB", extra_http_headers={"Accept-Language": "en"})
                page = context.new_page()
                if role != "anonymous":
                    page.goto("/account/login")
                    page.get_by_label("E-mail").fill(DEMO_LOGINS["accounts"][role])
                    page.get_by_label("Password").fill(DEMO_LOGINS["password"])
                    page.locator("main form button[type=submit]").click()
                    page.wait_for_url(lambda url: "/account/login" not in url)
                for shot in shots:
                    response = page.goto(shot.path)
                    if response is None or response.status != 200 or "/account/login" in page.url:
                        continue  # this role may not open the page
                    path = out / f"{role.replace(' ', '-')}-{width}-{shot.name}.png"
                    page.screenshot(path=str(path))
                    written.append(path)
                context.close()
        browser.close()
    return written


def small_copy(source: Path, target: Path, limit: int = 150_000) -> None:
    """A copy for the README: fewer colours, smaller if need be, under ``limit`` bytes."""
    from PIL import Image

    image = Image.open(source).convert("RGB")
    while True:
        image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
        if target.stat().st_size <= limit:
            return
        image = image.resize((int(image.width * 0.85), int(image.height * 0.85)), Image.Resampling.LANCZOS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"), help="folder for the PNGs")
    parser.add_argument("--readme", action="store_true", help="also refresh the README's pictures in docs/img/")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="expo-screenshots-") as workdir:
        app = build_app(Path(workdir))
        slug, event_id, session_id, door_session_id = chosen_sessions(app)
        base_url, server = serve(app)
        try:
            written = shoot(base_url, pages(slug, event_id, session_id, door_session_id), out)
        finally:
            server.shutdown()  # type: ignore[attr-defined]
    print(f"{len(written)} screenshots in {out}")
    if args.readme:
        images = ROOT / "docs" / "img"
        images.mkdir(parents=True, exist_ok=True)
        for role, width, name, filename in README_PICTURES:
            small_copy(out / f"{role}-{width}-{name}.png", images / filename)
            print(f"docs/img/{filename}: {(images / filename).stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
