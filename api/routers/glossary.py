"""Model features in planner words for the console's driver charts, from the one glossary the justifications use."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from agents.glossary import UNITS, feature_words
from api.auth import PrincipalDep

router = APIRouter(prefix="/v1", tags=["twin browser"])
MAX_FEATURES = 100


class FeatureWords(BaseModel):
    """A model feature, its planner words and the unit its value is read in (none for a share, a code or a count)."""

    feature: str
    words: str
    unit: str | None


@router.get("/glossary", response_model=list[FeatureWords])
def glossary(
    _principal: PrincipalDep,
    feature: Annotated[list[str], Query(max_length=MAX_FEATURES, description="Feature names, e.g. lag_0.")],
) -> list[FeatureWords]:
    """The planner words of each feature named, in the order asked (docs/glossary.md)."""
    return [FeatureWords(feature=name, words=feature_words(name), unit=UNITS.get(name)) for name in feature]
