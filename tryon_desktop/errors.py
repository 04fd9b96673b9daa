"""User-facing errors: each carries a one-line message that names the problem."""


class TryOnError(Exception):
    """An error the user caused or can fix; front ends print `str(err)` and exit non-zero."""


class InputError(TryOnError):
    """An input file is missing, unreadable, corrupt or in a format we do not handle."""


class LookError(TryOnError):
    """A shade name, colour, finish, opacity or catalogue entry is invalid."""


class ModelError(TryOnError):
    """A model file or its manifest is missing, corrupt or does not match."""


class OutputError(TryOnError):
    """An output cannot be written (permissions, full disk, would overwrite the input)."""
