"""The one exception type users see as a one-line ``error: ...`` message."""


class OcrError(Exception):
    """An expected failure caused by the user's input (bad file, bad option, bad model).

    The CLI prints ``error: <message>`` and exits 1; library callers can catch it.
    """
