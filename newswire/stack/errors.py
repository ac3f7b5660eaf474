"""Errors of the local stack manager: each says what to do next."""


class StackError(RuntimeError):
    """The local stack cannot be started, stopped or inspected; the message says why."""

    def __init__(self, message: str, log: str | None = None) -> None:
        super().__init__(message)
        self.log = log

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\n  log: {self.log}" if self.log else text
