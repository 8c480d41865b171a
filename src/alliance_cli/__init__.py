"""alliance: track the implementation of a policy brief's recommendations."""


def __getattr__(name: str) -> str:
    # The version is the installed package's (pyproject.toml says it once), read
    # only when asked for: importing the package stays free.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("alliance-cli")
        except PackageNotFoundError:  # run from a checkout that was never installed
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
