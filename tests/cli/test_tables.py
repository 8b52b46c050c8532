"""CLI tables keep every column and every character when piped."""

from cli.tables import PIPED_WIDTH, print_table, report_console


def test_a_piped_table_is_tab_separated_and_never_cut(capsys):
    long_key = "late_penalty_share_when_told_early_gold_tier"
    print_table(["key", "value", "source"], [[long_key, "0.25", "SOP-LATE-01: " + "x" * 200]])
    header, row = capsys.readouterr().out.splitlines()
    assert header == "key\tvalue\tsource"
    assert row.split("\t") == [long_key, "0.25", "SOP-LATE-01: " + "x" * 200]


def test_a_table_without_rows_says_why_instead_of_showing_bare_headers(capsys):
    print_table(["key", "value"], [], empty="No rate is stored yet.")
    assert capsys.readouterr().out == "No rate is stored yet.\n"
    print_table(["key", "value"], [])
    assert capsys.readouterr().out == "key\tvalue\n"


def test_a_report_written_to_a_pipe_is_wide_enough_for_its_tables():
    assert report_console().width == PIPED_WIDTH  # pytest captures standard output: not a terminal
