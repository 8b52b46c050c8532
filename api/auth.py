"""API-key authentication and role checks as `Annotated` FastAPI dependencies.

Send `Authorization: Bearer ym_<id>_<secret>`; `admin` passes every role check.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from api.deps import SessionDep
from api.throttle import too_many
from twin import access
from twin.access import Role
from twin.roles import ROLE, VERDICT_ROLES

bearer = HTTPBearer(auto_error=False, description="An API key from `yardmaster keys create`.")


class Principal(BaseModel):
    """The caller behind a valid API key."""

    key_id: str
    name: str
    role: Role


def _unauthorized(message: str) -> HTTPException:
    """A 401 asking for a bearer key."""
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def authenticate(
    request: Request, session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The principal of the request's key; 401 when it is missing, unknown or revoked (429 once that address or
    key prefix failed too often lately), 429 when the key sent too many requests lately."""
    if credentials is None:
        raise _unauthorized("missing API key: send the header `Authorization: Bearer <key>`")
    throttle = request.app.state.throttle
    record = access.authenticate(session, credentials.credentials)
    session.commit()  # the lookup's connection goes back to the pool until the handler needs one
    if record is None:
        if wait := throttle.failed(throttle.client(request), credentials.credentials):
            raise too_many("too many failed authentications from this address or for this key; retry later", wait)
        raise _unauthorized("invalid or revoked API key")
    if wait := throttle.request(record.id):
        raise too_many(f"rate limit of key {record.name!r} reached; retry later", wait)
    return Principal(key_id=record.id, name=record.name, role=ROLE.validate_python(record.role))


def allow(principal: Principal, roles: tuple[Role, ...], what: str = "this") -> None:
    """403 naming the roles needed for `what`, unless the principal holds one of them or is admin."""
    if principal.role not in (*roles, "admin"):
        needed = " or ".join(role for role in roles if role != "admin")
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"{what} needs the {needed} role (or admin); key {principal.name!r} has {principal.role}",
        )


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting keys of any of the roles, or admin (any valid key when no role is named)."""

    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        """The principal, when its role is allowed; 403 naming the role needed otherwise."""
        if roles:
            allow(principal, roles)
        return principal

    return check


PrincipalDep = Annotated[Principal, Depends(authenticate)]
PlannerDep = Annotated[Principal, Depends(require(*access.DECIDERS))]
DeciderDep = Annotated[Principal, Depends(require(*VERDICT_ROLES))]  # which decisions: `deciders`
ArchitectDep = Annotated[Principal, Depends(require("architect"))]
IntegratorDep = Annotated[Principal, Depends(require("integrator"))]
ReporterDep = Annotated[Principal, Depends(require(*access.REPORTERS))]
AdminDep = Annotated[Principal, Depends(require("admin"))]
