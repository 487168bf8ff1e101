"""Import every table so the metadata is complete (for Alembic and the tests)."""

from __future__ import annotations


def load_all() -> None:
    """Import each feature's models module."""
    from attunely.accounts import models as _accounts  # noqa: F401
    from attunely.audit import models as _audit  # noqa: F401
    from attunely.auth import models as _auth  # noqa: F401
    from attunely.cases import models as _cases  # noqa: F401
    from attunely.consent import models as _consent  # noqa: F401
    from attunely.films import models as _films  # noqa: F401
    from attunely.jobs import models as _jobs  # noqa: F401
    from attunely.retention import models as _retention  # noqa: F401
    from attunely.rights import models as _rights  # noqa: F401
    from attunely.sharing import models as _sharing  # noqa: F401
    from attunely.vault import models as _vault  # noqa: F401
    from attunely.workspace import models as _workspace  # noqa: F401
    from attunely.workspace import review_models as _reviews  # noqa: F401
