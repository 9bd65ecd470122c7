"""Site-wide endpoints: the health check."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify

from expo.core.extensions import db

bp = Blueprint("core", __name__)


@bp.route("/health")
def health():
    """Public: the load balancer's probe. Checks the database answers."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok")
