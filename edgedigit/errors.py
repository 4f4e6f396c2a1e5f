"""The exceptions the CLI turns into a single stderr line and exit code 2: `UserError` and one subclass per kind
of failure, so a program using the runtime can tell a bad picture from a bad model. TensorFlow-free: every
package uses it.
"""


class UserError(Exception):
    """A problem the user can fix (bad path, bad file, bad option): never shown as a traceback."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class ImageError(UserError):
    """A picture that cannot be read: missing, empty, damaged, or too large in bytes or pixels."""


class ModelError(UserError):
    """A model that cannot be used: missing, changed since export, or not what its manifest declares."""


class DataError(UserError):
    """Training data that cannot be used: MNIST missing or malformed, a folder of the user's own digits."""


class CameraError(UserError):
    """A camera that cannot be opened or read."""
