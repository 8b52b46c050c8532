"""The console's page and files are served without a key; `/v1/me` tells a key's role."""

from tests.api.desk_api import DeskApi


def test_the_page_and_its_modules_are_served_without_a_key(api: DeskApi):
    page = api.call("GET", "/", role=None)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/web/js/app.js">' in page.text
    script = api.call("GET", "/web/js/app.js", role=None)
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "uplot@" in api.call("GET", "/web/vendor/VERSIONS", role=None).text
    assert api.call("GET", "/web/../api/app.py", role=None).status_code == 404
    assert "/" not in api.call("GET", "/openapi.json", role=None).json()["paths"]


def test_me_names_the_role_of_the_key(api: DeskApi):
    for role in ("viewer", "planner", "architect"):
        answer = api.call("GET", "/v1/me", role=role)
        assert answer.status_code == 200
        assert (answer.json()["role"], answer.json()["name"]) == (role, f"test-{role}")
    assert api.call("GET", "/v1/me", role=None).status_code == 401
