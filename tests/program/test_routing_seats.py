"""Partnership seats: taken by routing, freed by rejection, recounted on demand."""

import pytest

from b24app.extensions import db
from b24app.program.models import Partnership, PartnershipSeat, Student
from b24app.program.routing import route_application
from b24app.program.services.seats import recompute_seats
from b24app.program.services.stages import change_stage

from .builders import apply


@pytest.fixture
def world(program):
    north = program.university("North")
    acme = program.employer("Acme")
    term = program.term(placed_at_stage="offer", freeze_placed=True)
    internship = program.internship(acme, term_id=term.id)
    partnership = program.partnership(north, acme, seats=2)
    return {
        "program": program,
        "north": north,
        "acme": acme,
        "internship": internship,
        "partnership": partnership,
    }


def route(world, number, internship=None):
    return route_application(
        world["program"].portal_id,
        apply(
            internship or world["internship"],
            number,
            student_fields={"university_id": world["north"].id},
        ),
    )


def test_seats_run_out(world):
    outcomes = [route(world, number) for number in (1, 2, 3)]

    assert [outcome.reason_code for outcome in outcomes] == [
        "routed",
        "routed",
        "no_seats",
    ]
    assert db.session.get(Partnership, world["partnership"].id).seats_used == 2


def test_internship_allocation_limits_one_internship(world):
    program = world["program"]
    world["partnership"].seats_total = 5
    db.session.commit()
    program.allocate(world["partnership"], world["internship"], seats=1)
    other = program.internship(world["acme"], "Other")

    first = route(world, 1)
    second = route(world, 2)
    elsewhere = route(world, 3, internship=other)

    assert first.accepted
    assert second.reason_code == "no_seats"
    assert elsewhere.accepted
    allocation = db.session.execute(db.select(PartnershipSeat)).scalar_one()
    assert allocation.seats_used == 1
    assert db.session.get(Partnership, world["partnership"].id).seats_used == 2


def test_rejection_frees_seat(world):
    route(world, 1)
    second = route(world, 2)
    change_stage(
        world["program"].portal_id, second.application_id, "rejected", reason="No fit"
    )

    third = route(world, 3)

    assert third.accepted
    assert db.session.get(Partnership, world["partnership"].id).seats_used == 2


def test_offer_places_and_freezes_student(world):
    program = world["program"]
    first = route(world, 1)
    change_stage(program.portal_id, first.application_id, "offer")
    other = program.internship(
        world["acme"], "Other", term_id=world["internship"].term_id
    )

    again = route(world, 1, internship=other)

    assert db.session.get(Student, first.student_id).placed
    assert again.reason_code == "student_frozen"


def test_recompute_repairs_counter(world):
    route(world, 1)
    partnership = world["partnership"]
    partnership.seats_used = 7
    db.session.commit()

    counts = recompute_seats(world["program"].portal_id)

    assert counts == {partnership.id: 1}
    assert db.session.get(Partnership, partnership.id).seats_used == 1


def test_recompute_counts_allocations(world):
    program = world["program"]
    allocation = program.allocate(world["partnership"], world["internship"], seats=2)
    route(world, 1)
    allocation.seats_used = 0
    db.session.commit()

    recompute_seats(program.portal_id, world["partnership"].id)

    assert db.session.get(PartnershipSeat, allocation.id).seats_used == 1


def test_current_term_partnership_applies_without_term(program):
    """An internship with no term uses the partnership of the term running now."""
    from datetime import timedelta

    from .builders import NOW

    north = program.university("North")
    acme = program.employer("Acme")
    spring = program.term(
        "Spring",
        applications_open_at=NOW - timedelta(days=30),
        applications_close_at=NOW + timedelta(days=30),
    )
    program.term(
        "Autumn",
        applications_open_at=NOW + timedelta(days=150),
        applications_close_at=NOW + timedelta(days=200),
    )
    internship = program.internship(acme)
    partnership = program.partnership(north, acme, seats=1, term_id=spring.id)

    outcome = route_application(
        program.portal_id,
        apply(internship, 1, student_fields={"university_id": north.id}),
    )

    assert outcome.reason_code == "routed"
    assert db.session.get(Partnership, partnership.id).seats_used == 1


def test_no_current_term_keeps_term_partnership_out(program):
    from datetime import timedelta

    from .builders import NOW

    north = program.university("North")
    acme = program.employer("Acme")
    autumn = program.term(
        "Autumn",
        applications_open_at=NOW + timedelta(days=150),
        applications_close_at=NOW + timedelta(days=200),
    )
    internship = program.internship(acme)
    program.partnership(north, acme, seats=1, term_id=autumn.id)

    outcome = route_application(
        program.portal_id,
        apply(internship, 1, student_fields={"university_id": north.id}),
    )

    assert outcome.reason_code == "no_partnership"
