"""The `alliance` command's entry point: apart from ``cli`` so that it runs before Typer loads."""

import gc


def main() -> None:
    # A command lives for a fraction of a second, and importing Typer and
    # pydantic and parsing a large tracker allocate hundreds of thousands of
    # objects with no cycles: the cyclic collector would only walk them again
    # and again (a quarter of the parse time). Off from the very start.
    gc.disable()
    from alliance_cli.cli import app

    app(prog_name="alliance")
