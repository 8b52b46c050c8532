"""The `yardmaster` command line: one typer app wiring the desk, the server, the worker and the simulation."""
