"""Required skills read from the CRM match students' skills in any letter case."""

from types import SimpleNamespace

from b24app.extensions import db
from b24app.program.models import Internship, Student
from b24app.program.routing.scoring import skills_fit
from b24app.sync.fullsync import start_full_sync

from .support import populate


def test_capitalised_required_skill_matches(app, sync_portal):
    ids = populate(sync_portal, students=1, internships=1, applications=0)
    with sync_portal.server.state.lock:
        crm = sync_portal.server.state.crm
        crm.tables["deal"].rows[ids["internship"][0]][
            sync_portal.field("required_skills")
        ] = ["Python", "SQL"]
        crm.tables["contact"].rows[ids["student"][0]][sync_portal.field("skills")] = [
            "python, sql"
        ]
    start_full_sync(sync_portal.portal_id, run_now=True)

    internship = db.session.execute(db.select(Internship)).scalar_one()
    student = db.session.execute(db.select(Student)).scalar_one()

    # skills_fit reads only these two lists of the routing facts.
    student_facts = SimpleNamespace(skills=student.skills)
    internship_facts = SimpleNamespace(required_skills=internship.required_skills)
    assert student.skills == ["python", "sql"]
    assert internship.required_skills == ["python", "sql"]
    assert skills_fit(student_facts, internship_facts) == 1.0
