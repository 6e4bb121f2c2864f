"""`python -m spinscope`: the same as the `spinscope` command."""

from spinscope.cli import app

app(prog_name="spinscope")
