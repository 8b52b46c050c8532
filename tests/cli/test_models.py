"""`yardmaster models`: the versions listed with the one in force, a promotion and rollback printed, and an unknown
model or version, or nothing to roll back to, named with exit code 2."""

import json

from typer.testing import CliRunner

from cli.main import app as cli
from tests.conftest import copy_trained, register_copy
from tests.twin.performance_history import Measured, keep_performance
from tools import late_risk, registry

LATE = late_risk.MODEL_NAME


def test_models_are_listed_promoted_and_rolled_back_on_the_command_line(seeded_url, trained_dir, tmp_path, monkeypatch):
    copy_trained(trained_dir, tmp_path)
    first = registry.resolve(tmp_path / "models", LATE)[0].version
    second = register_copy(tmp_path / "models", LATE, "second000001")
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YM_DATABASE_URL", seeded_url)
    runner = CliRunner()

    unknown = runner.invoke(cli, ["models", "promote", LATE, "nope"])
    assert unknown.exit_code == 2 and "no trained version 'nope'" in unknown.output
    assert runner.invoke(cli, ["models", "promote", "xgb-nope", first]).exit_code == 2
    nothing = runner.invoke(cli, ["models", "rollback", LATE])
    assert nothing.exit_code == 2 and "no previously active version" in nothing.output

    promoted = runner.invoke(cli, ["models", "promote", LATE, first, "--actor", "ana"])
    assert promoted.exit_code == 0 and f"{second} -> {first} (promote by ana)" in promoted.output
    entries = {e["name"]: e for e in json.loads(runner.invoke(cli, ["models", "list", "--json"]).stdout)}
    assert entries[LATE]["active_version"] == first
    assert [v["active"] for v in entries[LATE]["versions"]] == [True, False]

    rolled = runner.invoke(cli, ["models", "rollback", LATE])
    assert rolled.exit_code == 0 and f"{first} -> {second} (rollback by cli)" in rolled.output
    table = runner.invoke(cli, ["models", "list"]).stdout.splitlines()
    assert table[0].split("\t") == ["model", "version", "active", "trained", "metrics"]
    assert [line.split("\t")[:3] for line in table if line.startswith(LATE)] == [
        [LATE, first, ""],
        [LATE, second, "*"],
    ]


def test_the_monitoring_history_is_printed_per_model(seeded_url, trained_dir, tmp_path, monkeypatch):
    copy_trained(trained_dir, tmp_path)
    version = registry.resolve(tmp_path / "models", LATE)[0].version
    now = keep_performance(
        seeded_url,
        LATE,
        version,
        [
            Measured(
                days_back=0,
                rows=345,
                metrics={"roc_auc": 0.9953, "calibration_error": 0.2107},
                breaches=["calibration error 0.211 above 0.1"],
            )
        ],
    )
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YM_DATABASE_URL", seeded_url)
    runner = CliRunner()
    [history] = json.loads(runner.invoke(cli, ["models", "metrics", LATE, "--json"]).stdout)
    assert (history["active_version"], history["drift"], history["retraining"]) == (version, [], [])
    assert history["performance"][0]["breaches"] == ["calibration error 0.211 above 0.1"]
    table = runner.invoke(cli, ["models", "metrics"]).stdout.splitlines()
    assert table[0].split("\t") == ["model", "version", "day", "kind", "rows", "metrics", "breaches"]
    assert table[1].split("\t") == [
        LATE,
        version,
        now.date().isoformat(),
        "performance",
        "345",
        "calibration_error=0.2107 roc_auc=0.9953",
        "calibration error 0.211 above 0.1",
    ]
    unknown = runner.invoke(cli, ["models", "metrics", "xgb-nope"])
    assert unknown.exit_code == 2 and "unknown model 'xgb-nope'" in unknown.output
