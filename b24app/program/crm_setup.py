"""The install step that creates the program's CRM objects and fills CrmMapping.

Every object is looked up before it is created: the company type by STATUS_ID or
name, pipelines by the stored id or name, stages by STATUS_ID, user fields by
FIELD_NAME. Running the step again therefore creates nothing twice and only
fills in what is missing, such as a field an admin deleted.
"""

import logging
from typing import Any

from b24app.extensions import db
from b24app.program.crm_spec import (
    PIPELINES,
    UNIVERSITY_TYPE_ID,
    UNIVERSITY_TYPE_NAMES,
    USER_FIELDS,
    PipelineSpec,
    UserFieldSpec,
)
from b24app.program.models import CrmMapping
from b24app.tenancy.models import Portal
from b24app.tenancy.scoping import get_scoped

log = logging.getLogger(__name__)

STEP_NAME = "program.crm_setup"
DEAL_ENTITY_TYPE_ID = 2


def ensure_crm_setup(portal: Portal, client: Any) -> CrmMapping:
    """Create what is missing in the portal's CRM, store every id, and commit.

    Reads go in one batch, missing pipelines are created one by one (their ids
    are needed next), stage lists go in a second batch and all other writes in
    a third.
    """
    mapping = get_scoped(CrmMapping, portal.id)
    if mapping is None:
        mapping = CrmMapping(portal_id=portal.id)
        db.session.add(mapping)
    lang = "en" if portal.lang == "en" else "ru"
    current = read_crm_layout(client)
    writes: dict[str, tuple[str, dict]] = {}

    type_id, type_command = university_type(current["company_types"], lang)
    mapping.university_company_type_id = type_id
    writes.update(type_command)

    created: dict[str, bool] = {}
    for pipeline in PIPELINES:
        stored = getattr(mapping, f"{pipeline.key}_category_id")
        category_id, created[pipeline.key] = ensure_pipeline(
            client, pipeline, stored, current["categories"], lang
        )
        setattr(mapping, f"{pipeline.key}_category_id", category_id)

    stage_lists = read_stages(client, mapping)
    for pipeline in PIPELINES:
        category_id = getattr(mapping, f"{pipeline.key}_category_id")
        stage_ids, commands = stage_commands(
            pipeline,
            category_id,
            stage_lists[pipeline.key],
            created[pipeline.key],
            lang,
        )
        setattr(mapping, STAGE_ATTRIBUTES[pipeline.key], stage_ids)
        writes.update(commands)

    field_names, commands = user_field_commands(current, lang)
    mapping.user_fields = field_names
    writes.update(commands)

    run_batches(client, writes)
    db.session.commit()
    log.info(
        "portal %s: CRM set up (pipelines %s and %s, %s writes)",
        portal.id,
        mapping.internships_category_id,
        mapping.applications_category_id,
        len(writes),
    )
    return mapping


STAGE_ATTRIBUTES = {
    "internships": "internship_stage_ids",
    "applications": "application_stage_ids",
}


def read_crm_layout(client: Any) -> dict[str, Any]:
    """Read company types, deal pipelines and user fields in one batch."""
    commands: dict[str, tuple[str, dict]] = {
        "company_types": (
            "crm.status.list",
            {"filter": {"ENTITY_ID": "COMPANY_TYPE"}},
        ),
        "categories": ("crm.category.list", {"entityTypeId": DEAL_ENTITY_TYPE_ID}),
    }
    for entity in USER_FIELD_ENTITIES:
        commands[f"fields_{entity}"] = (f"crm.{entity}.userfield.list", {})
    results = client.batch(commands).results

    return {
        "company_types": results["company_types"] or [],
        "categories": (results["categories"] or {}).get("categories", []),
        "user_fields": {
            entity: {str(row.get("FIELD_NAME")) for row in results[f"fields_{entity}"]}
            for entity in USER_FIELD_ENTITIES
        },
    }


USER_FIELD_ENTITIES = tuple(sorted({spec.entity for spec in USER_FIELDS}))


def university_type(rows: list[dict], lang: str) -> tuple[str, dict]:
    """Return the University type's STATUS_ID and the command adding it, if any."""
    names = {name.casefold() for name in UNIVERSITY_TYPE_NAMES.values()}
    for row in rows:
        if row.get("STATUS_ID") == UNIVERSITY_TYPE_ID:
            return UNIVERSITY_TYPE_ID, {}
    for row in rows:
        if str(row.get("NAME", "")).casefold() in names:
            return str(row["STATUS_ID"]), {}

    fields = {
        "ENTITY_ID": "COMPANY_TYPE",
        "STATUS_ID": UNIVERSITY_TYPE_ID,
        "NAME": UNIVERSITY_TYPE_NAMES[lang],
        "SORT": 500,
    }
    return UNIVERSITY_TYPE_ID, {
        "university_type": ("crm.status.add", {"fields": fields})
    }


def ensure_pipeline(
    client: Any,
    pipeline: PipelineSpec,
    stored_id: int | None,
    categories: list[dict],
    lang: str,
) -> tuple[int, bool]:
    """Return (category id, created now): the stored, a same-named or a new one."""
    if stored_id is not None and any(int(row["id"]) == stored_id for row in categories):
        return stored_id, False

    names = {label.casefold() for label in pipeline.labels.values()}
    for row in categories:
        if str(row.get("name", "")).casefold() in names:
            return int(row["id"]), False

    created = client.call(
        "crm.category.add",
        {
            "entityTypeId": DEAL_ENTITY_TYPE_ID,
            "fields": {"name": pipeline.labels[lang], "sort": 500},
        },
    ).result
    return int(created["category"]["id"]), True


def read_stages(client: Any, mapping: CrmMapping) -> dict[str, list[dict]]:
    """Read the stages of both pipelines in one batch."""
    commands = {
        pipeline.key: (
            "crm.status.list",
            {
                "filter": {
                    "ENTITY_ID": "DEAL_STAGE_"
                    + str(getattr(mapping, f"{pipeline.key}_category_id"))
                }
            },
        )
        for pipeline in PIPELINES
    }
    results = client.batch(commands).results
    return {key: results[key] or [] for key in commands}


def stage_commands(
    pipeline: PipelineSpec,
    category_id: int,
    rows: list[dict],
    created: bool,
    lang: str,
) -> tuple[dict[str, str], dict[str, tuple[str, dict]]]:
    """Return our stage name -> STAGE_ID, and the commands adding missing stages.

    Stages of a pipeline created in this run get our names, and the default
    stages we do not use are removed, so a new pipeline shows only ours. A
    pipeline that existed before keeps whatever an admin changed in it.
    """
    entity_id = f"DEAL_STAGE_{category_id}"
    existing = {str(row["STATUS_ID"]): row for row in rows}
    prefix = f"C{category_id}:"
    key = pipeline.key

    commands: dict[str, tuple[str, dict]] = {}
    for sort, stage in enumerate(pipeline.stages, start=1):
        status_id = prefix + stage.code
        row = existing.get(status_id)
        if row is None:
            fields = {
                "ENTITY_ID": entity_id,
                "STATUS_ID": status_id,
                "NAME": stage.labels[lang],
                "SORT": sort * 10,
                "SEMANTICS": stage.semantics,
            }
            commands[f"{key}_add_{stage.name}"] = ("crm.status.add", {"fields": fields})
        elif created:
            fields = {"NAME": stage.labels[lang], "SORT": sort * 10}
            commands[f"{key}_name_{stage.name}"] = (
                "crm.status.update",
                {"id": row["ID"], "fields": fields},
            )

    if created:
        ours = {prefix + stage.code for stage in pipeline.stages}
        for status_id, row in existing.items():
            if status_id not in ours and row.get("SYSTEM") != "Y":
                commands[f"{key}_drop_{row['ID']}"] = (
                    "crm.status.delete",
                    {"id": row["ID"]},
                )

    return {stage.name: prefix + stage.code for stage in pipeline.stages}, commands


def user_field_commands(
    current: dict[str, Any], lang: str
) -> tuple[dict[str, str], dict[str, tuple[str, dict]]]:
    """Return logical name -> FIELD_NAME, and the commands adding missing fields."""
    commands = {
        f"field_{spec.name}": (
            f"crm.{spec.entity}.userfield.add",
            user_field_params(spec, lang),
        )
        for spec in USER_FIELDS
        if spec.field_name not in current["user_fields"][spec.entity]
    }
    return {spec.name: spec.field_name for spec in USER_FIELDS}, commands


def user_field_params(spec: UserFieldSpec, lang: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "FIELD_NAME": spec.field_name,
        "USER_TYPE_ID": spec.user_type,
        "XML_ID": spec.field_name,
        "LABEL": spec.labels[lang],
        "MULTIPLE": "Y" if spec.multiple else "N",
        "MANDATORY": "N",
        "SHOW_FILTER": "Y",
        "SETTINGS": spec.settings,
    }
    if spec.items:
        fields["LIST"] = [
            {
                "VALUE": english if lang == "en" else russian,
                "XML_ID": code,
                "SORT": position * 10,
            }
            for position, (code, english, russian) in enumerate(spec.items, start=1)
        ]
    return {"fields": fields}


def run_batches(client: Any, commands: dict[str, tuple[str, dict]]) -> None:
    """Send the commands in batches of 50; any failed command raises BatchError."""
    keys = list(commands)
    for start in range(0, len(keys), 50):
        chunk = {key: commands[key] for key in keys[start : start + 50]}
        client.batch(chunk, halt=True)


def run_crm_setup(portal_id: int) -> None:
    """Job and settings entry point: run the setup again for one portal."""
    from b24app.tenancy.clients import client_for

    portal = db.session.get(Portal, portal_id)
    if portal is None:
        raise LookupError(f"portal {portal_id} not found")
    ensure_crm_setup(portal, client_for(portal))


def register() -> None:
    """Add the setup to the steps every install runs."""
    from b24app.portals.steps import register_install_step

    register_install_step(STEP_NAME, ensure_crm_setup)
