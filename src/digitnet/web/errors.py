"""The API's error: an HTTP status and one sentence, sent as ``{"error": "..."}``."""

from __future__ import annotations


class ApiError(Exception):
    """A request the server refuses, with the HTTP status (4xx) and one clear sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
