"""The exporter's one exception type."""


class ExportError(RuntimeError):
    """An export could not be completed; no version directory was left behind.

    Attributes:
        report: the partial export report (dict) when verification failed, else None.
    """

    def __init__(self, message, report=None):
        super().__init__(message)
        self.report = report
