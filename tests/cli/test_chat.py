"""`yardmaster chat`: piped lines become turns on one thread, tool steps are shown, acts wait for a yes, `exit` or
end of input stops."""

from typer.testing import CliRunner

from cli.main import app as cli


def test_chat_reads_lines_until_exit(desk_settings, monkeypatch):
    monkeypatch.setenv("YM_DATA_DIR", str(desk_settings.data_dir))
    monkeypatch.setenv("YM_DATABASE_URL", desk_settings.resolved_database_url)
    lines = (
        "Forecast SKU-0042 at Dallas for 2 weeks\n\nand in Houston?\nforecast SKU-9999 at Dallas\nexit\n"
        "show pending approvals\n"
    )
    result = CliRunner().invoke(cli, ["chat", "--thread", "cli-1", "--role", "viewer"], input=lines)
    assert result.exit_code == 0, result.output
    assert "thread cli-1" in result.output
    assert "→ forecast_demand(" in result.output and "desk> SKU-0042 at DC-DAL should sell about" in result.output
    assert "desk> SKU-0042 at DC-HOU should sell about" in result.output
    assert "✗ forecast_demand: SKU-9999 is not in the twin" in result.output
    assert "desk> I could not do that: SKU-9999 is not in the twin." in result.output
    assert "list_decisions" not in result.output


def test_a_report_waits_for_yes_across_invocations_of_one_thread(desk_settings, monkeypatch):
    monkeypatch.setenv("YM_DATA_DIR", str(desk_settings.data_dir))
    monkeypatch.setenv("YM_DATABASE_URL", desk_settings.resolved_database_url)
    asked = CliRunner().invoke(
        cli,
        ["chat", "--thread", "cli-2", "--role", "integrator"],
        input="TRK-007 is overheating and losing oil pressure\n",
    )
    assert "desk> Log this as an equipment failure risk for TRK-007? yes/no" in asked.output
    assert "report_exception" not in asked.output
    confirmed = CliRunner().invoke(cli, ["chat", "--thread", "cli-2", "--role", "integrator"], input="yes\n")
    assert "→ report_exception(" in confirmed.output and "desk> DEC-" in confirmed.output


def test_chat_ends_at_end_of_input_and_refuses_without_models(desk_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("YM_DATABASE_URL", desk_settings.resolved_database_url)
    monkeypatch.setenv("YM_DATA_DIR", str(desk_settings.data_dir))
    ended = CliRunner().invoke(cli, ["chat"], input="hello\n")
    assert ended.exit_code == 0 and "desk> I can give stock per DC" in ended.output
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path / "empty"))
    refused = CliRunner().invoke(cli, ["chat"], input="hello\n")
    assert refused.exit_code == 1 and "no trained models" in refused.output
