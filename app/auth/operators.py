"""Who operates this server: the people ADMIN_EMAILS names, or who hold ADMIN_ROLE at the identity provider.

A sign-in keeps two facts in the session: the e-mail address the provider verified (an
unverified one proves nothing: some providers let anyone type any address), and the values
of the ADMIN_ROLE_CLAIM claim. Whether they make an operator is decided at each request
against the settings, so an address taken out of ADMIN_EMAILS stops working at the next
start; a role taken away at the provider stops working at the person's next sign-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, session
from flask_login import current_user

from app.auth.users import Profile

#: Session keys of the facts a sign-in brought.
VERIFIED_EMAIL = "verified_email"
ROLES = "roles"
#: Values kept of the role claim, at most (a person in thousands of groups keeps the session small).
MAX_ROLES = 100


def roles_in(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """The values of ADMIN_ROLE_CLAIM in `claims`: a claim named so (Auth0's namespaced URLs hold dots), or a
    dotted path into nested claims (Keycloak's realm_access.roles); a list, or one string of space-separated
    values."""
    name = current_app.config["ADMIN_ROLE_CLAIM"]
    if not name:
        return ()
    found: Any = claims.get(name)
    if found is None:
        found = claims
        for part in name.split("."):
            found = found.get(part) if isinstance(found, Mapping) else None
    if isinstance(found, str):
        found = found.split()
    if not isinstance(found, list):
        return ()
    return tuple(str(value) for value in found if isinstance(value, str | int))[:MAX_ROLES]


def remember(profile: Profile) -> None:
    """Keep what the sign-in proved of the person, in their new session."""
    if profile.email and profile.email_verified:
        session[VERIFIED_EMAIL] = profile.email.lower()
    if profile.roles:
        session[ROLES] = list(profile.roles)


def is_operator() -> bool:
    """Whether the signed-in person operates this server, by the settings as they are now."""
    if not current_user.is_authenticated:
        return False
    config = current_app.config
    if session.get(VERIFIED_EMAIL) in config["ADMIN_EMAILS"]:
        return True
    return bool(config["ADMIN_ROLE"]) and config["ADMIN_ROLE"] in session.get(ROLES, ())
