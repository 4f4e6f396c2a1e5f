"""The one exception type that the CLI turns into a single stderr line and exit code 2."""


class UserError(Exception):
    """A problem the user can fix (bad path, bad file, bad option): never shown as a traceback."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
