"""`yardmaster keys`: create prints the key on its last line, list shows no secrets, revoke refuses unknown ids."""

import json
import re

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app as cli
from twin.settings import Settings


def test_keys_create_list_revoke(empty_url, monkeypatch):
    monkeypatch.setenv("YM_DATABASE_URL", empty_url)
    monkeypatch.setenv("YM_WEBHOOK_INTERVAL_S", "0")
    runner = CliRunner()
    result = runner.invoke(cli, ["keys", "create", "--role", "planner", "--name", "alice"])
    assert result.exit_code == 0, result.output
    key = result.stdout.splitlines()[-1]
    assert re.fullmatch(r"ym_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", key)
    with TestClient(create_app(Settings(database_url=empty_url)), headers={"Authorization": f"Bearer {key}"}) as client:
        assert client.get("/v1/twin/summary").status_code == 200
        assert client.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/", "event_types": ["*"]}).status_code == 403

    listed = json.loads(runner.invoke(cli, ["keys", "list", "--json"]).stdout)
    assert [(row["id"], row["name"], row["role"], row["revoked_at"]) for row in listed] == [
        (key[3:11], "alice", "planner", None)
    ]
    assert key not in runner.invoke(cli, ["keys", "list"]).output

    assert runner.invoke(cli, ["keys", "revoke", key[3:11]]).exit_code == 0
    assert json.loads(runner.invoke(cli, ["keys", "list", "--json"]).stdout)[0]["revoked_at"] is not None
    unknown = runner.invoke(cli, ["keys", "revoke", "00000000"])
    assert unknown.exit_code == 1 and "no API key with id '00000000'" in unknown.output


def test_keys_create_refuses_an_unknown_role(empty_url, monkeypatch):
    monkeypatch.setenv("YM_DATABASE_URL", empty_url)
    result = CliRunner().invoke(cli, ["keys", "create", "--role", "root"])
    assert result.exit_code == 2 and "root" in result.output
