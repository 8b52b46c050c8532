"""`python -m cli`: the `yardmaster` command line."""

from cli.main import app

app()
