"""The one error tree. Only the web edge turns these into HTTP statuses."""

from __future__ import annotations


class AttunelyError(Exception):
    """Root of every error the application raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        #: Machine-readable facts for API clients (e.g. where a resumed upload stands).
        self.details: dict[str, object] = {}


class NotFound(AttunelyError):
    """The object does not exist, or the actor may not know that it does."""

    code = "not_found"


class PermissionDenied(AttunelyError):
    """The actor is known but the policy refuses the action."""

    code = "forbidden"


class AuthenticationRequired(AttunelyError):
    """No valid session; the actor must log in."""

    code = "authentication_required"


class AuthenticationFailed(AttunelyError):
    """Credentials were wrong, or the account is locked; never says which."""

    code = "authentication_failed"


class MfaRequired(AttunelyError):
    """The session has not yet passed (or enrolled in) multi-factor authentication."""

    code = "mfa_required"


class InvalidInput(AttunelyError):
    """Input broke a rule of the domain."""

    code = "invalid_input"


class Conflict(AttunelyError):
    """The change clashes with existing state (a duplicate, a stale transition)."""

    code = "conflict"


class CsrfFailed(AttunelyError):
    """A state-changing request came without a valid anti-forgery token."""

    code = "csrf_failed"


class ConfigurationError(AttunelyError):
    """Settings or the data directory are unusable."""

    code = "configuration_error"


class AuditChainBroken(AttunelyError):
    """The audit log failed verification."""

    code = "audit_chain_broken"


class IntegrityError(AttunelyError):
    """Stored data failed authentication: it was changed, truncated, reordered or swapped."""

    code = "integrity_error"


class MediaError(InvalidInput):
    """A file cannot be used as a film; `reason` says why in one word (empty, truncated, ...)."""

    code = "invalid_media"

    def __init__(self, message: str, *, reason: str, field: str | None = "file") -> None:
        super().__init__(message, field=field)
        self.reason = reason
