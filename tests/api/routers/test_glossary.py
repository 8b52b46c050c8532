"""The console's driver charts read model features in the planner words the justifications use."""

from tests.api.desk_api import DeskApi


def test_features_come_back_in_planner_words_with_their_units(api: DeskApi):
    response = api.call("GET", "/v1/glossary?feature=slack_left_hours&feature=lag_0&feature=weather", role="viewer")
    assert response.status_code == 200
    assert response.json() == [
        {"feature": "slack_left_hours", "words": "time left before the promise", "unit": "hours"},
        {"feature": "lag_0", "words": "demand on the latest day against usual", "unit": None},
        {"feature": "weather", "words": "weather on the lane", "unit": None},
    ]


def test_too_many_features_or_none_is_a_clear_422(api: DeskApi):
    many = "&".join(f"feature=f{k}" for k in range(101))
    for path in (f"/v1/glossary?{many}", "/v1/glossary"):
        response = api.call("GET", path, role="viewer")
        assert response.status_code == 422 and "feature" in response.text
