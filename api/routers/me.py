"""The caller: which key and role a request carries, so a client can show what that role may do."""

from fastapi import APIRouter

from api.auth import Principal, PrincipalDep

router = APIRouter(prefix="/v1", tags=["session"])


@router.get("/me", response_model=Principal)
def whoami(principal: PrincipalDep) -> Principal:
    """The key's id, name and role (401 for a missing or revoked key)."""
    return principal
