"""The exception types users see as a one-line ``error: ...`` message."""


class OcrError(Exception):
    """An expected failure caused by the user's input (bad file, bad option, bad model).

    The CLI prints ``error: <message>`` and exits 1; library callers can catch it.
    """


class UsageError(OcrError):
    """A bad value or combination of options found by the library (``--synthetic 0`` with no
    other source, a learning rate that is not a finite number): the CLI exits 2, as for
    options click itself refuses."""


class OcrWarning(Warning):
    """Something the user should know that does not stop the command (the CLI prints
    ``warning: ...``); raised with :func:`warn`."""


def warn(message: str) -> None:
    import warnings

    warnings.warn(message, OcrWarning, stacklevel=3)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that clean-ups run; work that only adds (figures) is skipped."""
