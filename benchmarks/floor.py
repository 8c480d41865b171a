"""The floor: the cheapest possible Typer CLI, one command printing one line.

Timed exactly as the alliance commands are, it measures what any Typer app pays
before doing anything (the interpreter, Typer, Click); alliance ÷ floor is
what alliance adds on top.
"""

import typer

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
def hello() -> None:
    """Print one line."""
    typer.echo("hello")


if __name__ == "__main__":
    app()
