"""The public page of a portal: its slug, and what the page lists."""

import re
import secrets
from datetime import datetime

from flask import abort
from sqlalchemy import or_, select

from b24app.extensions import db
from b24app.program.models import Employer, Internship, InternshipStatus, University
from b24app.public.models import PublicPage
from b24app.tenancy.models import Portal, utcnow
from b24app.tenancy.scoping import get_scoped, scoped

# The alphabet of `secrets.token_urlsafe`, which makes every slug; at most the
# 64 characters of the column.
SLUG = re.compile(r"[A-Za-z0-9_-]{1,64}")


def ensure_public_page(portal_id: int) -> PublicPage:
    """Return the portal's page, creating it with a new random slug; commits."""
    page = get_scoped(PublicPage, portal_id)
    if page is None:
        page = PublicPage(portal_id=portal_id, slug=secrets.token_urlsafe(12))
        db.session.add(page)
        db.session.commit()
    return page


def ensure_public_page_step(portal: Portal, client: object) -> None:
    """Install step: give the portal its public page address."""
    ensure_public_page(portal.id)


def portal_for_slug(slug: str) -> Portal:
    """Return the active portal whose enabled page has `slug`, or abort with 404."""
    if not SLUG.fullmatch(slug):
        abort(404)
    page = db.session.execute(
        select(PublicPage).where(PublicPage.slug == slug, PublicPage.enabled)
    ).scalar_one_or_none()
    portal = db.session.get(Portal, page.portal_id) if page else None
    if portal is None or not portal.is_active:
        abort(404)
    return portal


def open_internships(
    portal_id: int, skill: str = "", city: str = "", now: datetime | None = None
) -> list[Internship]:
    """Open internships taking applications at `now`, filtered by skill and city.

    The skill matches a required skill or the title, case-insensitively.
    """
    now = now or utcnow()
    statement = (
        scoped(Internship, portal_id)
        .where(Internship.status == InternshipStatus.OPEN)
        .where(
            or_(
                Internship.applications_close_at.is_(None),
                Internship.applications_close_at > now,
            )
        )
        .order_by(Internship.applications_close_at.nulls_last(), Internship.id)
    )
    city = city.strip()
    if city:
        escaped = city.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Internship.city.ilike(f"%{escaped}%"))
    internships = list(db.session.execute(statement).scalars())

    query = skill.strip().casefold()
    if not query:
        return internships
    return [
        item
        for item in internships
        if query in item.title.casefold()
        or any(query in str(name).casefold() for name in item.required_skills or [])
    ]


def open_internship_or_404(portal_id: int, internship_id: int) -> Internship:
    internship = get_scoped(Internship, portal_id, id=internship_id)
    if internship is None or internship.status != InternshipStatus.OPEN:
        abort(404)
    return internship


def employer_names(portal_id: int) -> dict[int, str]:
    rows = db.session.execute(
        select(Employer.id, Employer.name).where(Employer.portal_id == portal_id)
    )
    return dict(rows.all())


def university_choices(portal_id: int) -> list[tuple[int, str]]:
    statement = (
        scoped(University, portal_id)
        .where(University.deleted.is_(False))
        .order_by(University.name)
    )
    return [(row.id, row.name) for row in db.session.execute(statement).scalars()]
