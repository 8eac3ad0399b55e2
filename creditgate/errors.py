"""The client's failures, each with the exit status a script sees (listed in `creditgate --help`)."""

from __future__ import annotations

EXIT_CODES = {
    0: "success (for `jobs wait`: the job succeeded or was skipped)",
    1: "the server refused the request (an error other than those below)",
    2: "bad command line",
    3: "bad input: a file's columns or rows (named in the message), locally or by a 422",
    4: "not signed in, or the credentials were refused (401/403)",
    5: "server unreachable or still failing after the retries (connection errors, 429, 5xx)",
    6: "the training job failed",
    7: "gave up waiting (`jobs wait --timeout`)",
}


class ClientError(Exception):
    exit_code = 1


class BadInput(ClientError):
    exit_code = 3


class NotSignedIn(ClientError):
    exit_code = 4


class Unreachable(ClientError):
    exit_code = 5


class JobFailed(ClientError):
    exit_code = 6


class TimedOut(ClientError):
    exit_code = 7


class ApiError(ClientError):
    """An answer the server gave as a problem (RFC 9457)."""

    def __init__(self, status: int, problem: dict):
        self.status = status
        self.problem = problem
        detail = problem.get("detail") or problem.get("title") or f"HTTP {status}"
        super().__init__(f"{status} {detail}")
        if status in (401, 403):
            self.exit_code = NotSignedIn.exit_code
        elif status == 422:
            self.exit_code = BadInput.exit_code

    @property
    def field_errors(self) -> list[dict]:
        errors = self.problem.get("errors")
        return errors if isinstance(errors, list) else []
