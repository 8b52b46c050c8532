"""Conditional reads: every JSON answer to a GET carries an ETag, and asking again with it is a bodiless 304 until
what the answer shows changes."""

from api.conditional import etag


def test_an_unchanged_read_is_a_bodiless_304_and_a_change_sends_the_new_body(api_client):
    viewer, architect = api_client("viewer"), api_client("architect")
    kpis = viewer.get("/v1/kpis")
    tag = kpis.headers["etag"]
    assert kpis.status_code == 200 and kpis.headers["cache-control"] == "private, no-cache"
    again = viewer.get("/v1/kpis", headers={"If-None-Match": tag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
    assert "content-length" not in again.headers or again.headers["content-length"] == "0"
    assert viewer.get("/v1/kpis", headers={"If-None-Match": f'"other", W/{tag}'}).status_code == 304

    trail = viewer.get("/v1/audit", params={"kind": "policy_updated"})
    assert (
        viewer.get(
            "/v1/audit", params={"kind": "policy_updated"}, headers={"If-None-Match": trail.headers["etag"]}
        ).status_code
        == 304
    )
    assert architect.put("/v1/policies/book_spot", json={"autonomy_level": 2}).status_code == 200
    changed = viewer.get(
        "/v1/audit", params={"kind": "policy_updated"}, headers={"If-None-Match": trail.headers["etag"]}
    )
    assert changed.status_code == 200 and changed.headers["etag"] != trail.headers["etag"]
    assert changed.json()["total"] == trail.json()["total"] + 1
    assert viewer.get("/v1/kpis", headers={"If-None-Match": tag}).status_code == 304  # the policy is not a KPI


def test_only_successful_reads_of_the_api_are_tagged(api_client):
    viewer = api_client("viewer")
    refused = viewer.get("/v1/kpis", params={"weeks": 0})
    assert refused.status_code == 422 and "etag" not in refused.headers
    assert "etag" not in viewer.get("/healthz").headers
    assert "etag" not in api_client("architect").put("/v1/policies/book_spot", json={"autonomy_level": 2}).headers


def test_tags_differ_by_every_part():
    assert etag("3:x", 50, None) == etag("3:x", 50, None) != etag("3:x", 50, "c")
    assert etag("a").startswith('"') and etag("a").endswith('"') and len(etag("a")) == 34
