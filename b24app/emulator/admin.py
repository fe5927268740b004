"""JSON admin API under `/_emulator/` for tests, the demo and benchmarks.

It plays what happens on the portal outside REST: users editing cards, robots, the
administrator installing or removing the app, a portal rename, faults and limits.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request

from .crm_roles import PRESETS
from .crm_schema import ENTITY_TYPES
from .seed import bulk_create, seed_portal
from .state import Actor, PortalState
from .wire import RestError

bp = Blueprint("emulator_admin", __name__, url_prefix="/_emulator")
CONFIG_KEYS = {"APP_URL", "INSTALL_URL", "REDIRECT_URI", "OPERATING_COST", "APP_STATUS"}


def _state() -> PortalState:
    return current_app.extensions["b24emulator"]


def _body() -> dict[str, Any]:
    return request.get_json(silent=True) or {}


def _entity(name: str) -> str:
    if name not in ENTITY_TYPES:
        abort(
            404,
            description=f"unknown entity {name!r}; expected deal, contact or company",
        )
    return name


def _actor(body: dict[str, Any]) -> Actor:
    robot = bool(body.get("robot", request.args.get("robot") == "1"))
    return Actor(int(body.get("user_id", request.args.get("user_id", 1))), robot)


@bp.errorhandler(RestError)
def rest_error(exc: RestError) -> tuple[Response, int]:
    """Answer admin calls that hit a portal error with its body and a 400 status."""
    return jsonify(exc.body()), 400


@bp.post("/reset")
def reset() -> Response:
    """Drop all data, tokens, bindings, faults and limits."""
    _state().reset()
    return jsonify(ok=True)


@bp.post("/seed")
def seed() -> Response:
    """Load the deterministic demo data set."""
    body = _body()
    counts = seed_portal(
        _state(),
        int(body.get("seed", 42)),
        int(body.get("students", 200)),
        int(body.get("sp500", 100)),
    )
    return jsonify(counts)


@bp.post("/bulk")
def bulk() -> Response:
    """Create N rows of one entity fast and without events."""
    body = _body()
    first, last = bulk_create(
        _state(),
        _entity(str(body.get("entity"))),
        int(body.get("count", 0)),
        body.get("fields"),
    )
    return jsonify(first_id=first, last_id=last)


@bp.post("/entities/<name>")
def create_entity(name: str) -> Response:
    """Create an entity as a user or as a robot (`"robot": true`) and fire ADD."""
    body = _body()
    row_id = _state().crm_add(_entity(name), body.get("fields") or {}, _actor(body))
    return jsonify(id=row_id)


@bp.route("/entities/<name>/<int:row_id>", methods=["GET", "PATCH", "DELETE"])
def entity(name: str, row_id: int) -> Response:
    """Read, edit (fires UPDATE) or delete (fires DELETE) an entity."""
    state, body, entity_name = _state(), _body(), _entity(name)
    if request.method == "GET":
        with state.lock:
            table = state.crm.tables[entity_name]
            return jsonify(table.full(table.require(row_id)))
    if request.method == "PATCH":
        state.crm_update(
            entity_name,
            row_id,
            body.get("fields") or {},
            _actor(body),
            allow_category=True,
        )
        return jsonify(ok=True)
    state.crm_delete(entity_name, row_id, _actor(body))
    return jsonify(ok=True)


@bp.post("/rename")
def rename() -> Response:
    """Rename the portal; the old host answers REST calls with 302 from now on."""
    try:
        domain = _state().rename(_body().get("domain"))
    except ValueError as exc:
        abort(400, description=str(exc))
    return jsonify(domain=domain)


@bp.route("/faults", methods=["POST", "DELETE"])
def faults() -> Response:
    """Add a fault rule (`kind`: latency, error or hang) or clear all of them."""
    state = _state()
    if request.method == "DELETE":
        state.faults.clear()
        return jsonify(ok=True)
    try:
        fault = state.faults.add(_body())
    except ValueError as exc:
        abort(400, description=str(exc))
    return jsonify(vars(fault))


@bp.post("/limits")
def limits() -> Response:
    """Change the leaky bucket (`rate_limit`, null disables) or operating limits."""
    state, body = _state(), _body()
    if "rate_limit" in body:
        state.set_rate_limit(body["rate_limit"])
    with state.lock:
        if "operating_limit" in body:
            state.operating.limit = body["operating_limit"]
        if "operating_cost" in body:
            state.config["OPERATING_COST"] = dict(body["operating_cost"] or {})
    return jsonify(ok=True)


@bp.get("/state")
def read_state() -> Response:
    """Return bindings, placements, comments, deliveries and row counts."""
    return jsonify(_state().snapshot())


@bp.post("/config")
def config() -> Response:
    """Set APP_URL, INSTALL_URL, REDIRECT_URI, OPERATING_COST or APP_STATUS."""
    state, body = _state(), _body()
    unknown = set(body) - CONFIG_KEYS
    if unknown:
        abort(
            400,
            description=(
                f"unknown keys {sorted(unknown)}; allowed {sorted(CONFIG_KEYS)}"
            ),
        )
    with state.lock:
        state.config.update(body)
    return jsonify({key: state.config[key] for key in CONFIG_KEYS})


@bp.post("/app/install")
def install() -> Response:
    """Install the app and send the install callback; returns the auth fields."""
    return jsonify(_state().install_app(int(_body().get("user_id", 1))))


@bp.post("/app/finish")
def install_finish() -> Response:
    """Play `BX24.installFinish()`: events and placements become active."""
    state = _state()
    with state.lock:
        state.app.installed = True
    return jsonify(ok=True)


@bp.post("/app/update")
def update() -> Response:
    """Play an app version update (ONAPPUPDATE)."""
    body = _body()
    _state().update_app(int(body.get("version", 2)), int(body.get("user_id", 1)))
    return jsonify(ok=True)


@bp.post("/app/uninstall")
def uninstall() -> Response:
    """Remove the app; ONAPPUNINSTALL carries `data[CLEAN]` 0 or 1 and no tokens."""
    _state().uninstall_app(bool(int(_body().get("clean", 0))))
    return jsonify(ok=True)


@bp.post("/tokens/expire")
def expire_tokens() -> Response:
    """Expire every access token, as if an hour had passed."""
    state = _state()
    with state.lock:
        count = state.tokens.expire_access_tokens()
    return jsonify(expired=count)


@bp.post("/webhooks")
def webhooks() -> Response:
    """Create an incoming webhook; returns its URL."""
    state, body = _state(), _body()
    with state.lock:
        hook = state.tokens.add_webhook(
            int(body.get("user_id", 1)), str(body.get("scope", "crm,user_brief"))
        )
    return jsonify(url=f"{state.client_endpoint}{hook.user_id}/{hook.secret}/")


@bp.post("/frame")
def frame() -> Response:
    """Return the query and form body of a frame POST with fresh tokens."""
    body = _body()
    query, form = _state().frame_fields(
        str(body.get("placement", "DEFAULT")),
        body.get("options"),
        int(body.get("user_id", 1)),
        str(body.get("lang", "ru")),
    )
    return jsonify(query=query, body=form)


@bp.post("/events/wait")
def wait_events() -> Response:
    """Wait until queued event deliveries were attempted."""
    idle = _state().events.wait_idle(float(_body().get("timeout", 10)))
    return jsonify(idle=idle)


@bp.post("/users/<int:user_id>/crm-role")
def crm_role(user_id: int) -> Response:
    """Set a user's CRM role: a preset for every entity, or levels per entity.

    Body: `{"role": "all" | "reader" | "own" | "none"}`, or
    `{"deal": {"read": "own", "write": "none"}, ...}` with levels all, own, none.
    """
    state, body = _state(), _body()
    if state.user(user_id) is None:
        abort(404, description=f"unknown user {user_id}")
    try:
        with state.lock:
            for entity, (read, write) in _role_levels(body).items():
                state.crm_roles.assign(user_id, entity, read, write)
            roles = state.crm_roles.describe()
    except ValueError as error:
        abort(400, description=str(error))
    return jsonify(roles.get(str(user_id), {}))


def _role_levels(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    if "role" in body:
        preset = PRESETS.get(str(body["role"]))
        if preset is None:
            raise ValueError(
                f"unknown role {body['role']!r}: use one of {list(PRESETS)}"
            )
        return {entity: preset for entity in ENTITY_TYPES}
    levels = {}
    for entity, value in body.items():
        _entity(entity)
        if not isinstance(value, dict):
            raise ValueError(f"{entity}: expected {{'read': level, 'write': level}}")
        levels[entity] = (str(value.get("read", "all")), str(value.get("write", "all")))
    return levels
