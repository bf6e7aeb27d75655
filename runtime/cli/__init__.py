"""The `flux2sql` command line: thin typer commands that call the library and print.

One module per command group; `main.py` assembles them. Heavy imports (duckdb, sqlglot)
happen inside the commands so that `flux2sql --help` stays fast.
"""
