"""Who operates this server: the people ADMIN_EMAILS names, or who hold ADMIN_ROLE at the identity provider.

A sign-in keeps in the session what it proved: the e-mail address the provider verified (an
unverified one proves nothing: some providers let anyone type any address), whether the
person held ADMIN_ROLE in the ADMIN_ROLE_CLAIM claim, and when. Whether that makes an
operator is decided at each request against the settings as they are, so an address taken
out of ADMIN_EMAILS stops working at the next start; and only for OPERATOR_HOURS after that
sign-in, so a role taken away at the provider ends too (a session in use lives on).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from flask import current_app, session
from flask_login import current_user

from app.auth.users import Profile

#: Hours a sign-in proves a person an operator; then they sign in again (their session may last longer).
OPERATOR_HOURS = 12
#: Session keys of what a sign-in proved.
VERIFIED_EMAIL = "verified_email"
OPERATOR_ROLE = "operator_role"
SIGNED_IN_AT = "signed_in_at"


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
    return tuple(value for value in found if isinstance(value, str))


def holds_role(claims: Mapping[str, Any]) -> bool:
    """Whether `claims` give the person ADMIN_ROLE."""
    role = current_app.config["ADMIN_ROLE"]
    return bool(role) and role in roles_in(claims)


def remember(profile: Profile) -> None:
    """Keep what the sign-in proved of the person, in their new session."""
    session[SIGNED_IN_AT] = time.time()
    if profile.email and profile.email_verified:
        session[VERIFIED_EMAIL] = profile.email.lower()
    if profile.operator_role:
        session[OPERATOR_ROLE] = profile.operator_role


def is_operator() -> bool:
    """Whether the signed-in person operates this server: by the settings as they are now, and signed in within
    OPERATOR_HOURS."""
    return has_grounds() and time.time() - session.get(SIGNED_IN_AT, 0) < OPERATOR_HOURS * 3600


def has_grounds() -> bool:
    """Whether the person's sign-in made them an operator, however long ago."""
    if not current_user.is_authenticated:
        return False
    config = current_app.config
    if session.get(VERIFIED_EMAIL) in config["ADMIN_EMAILS"]:
        return True
    return bool(config["ADMIN_ROLE"]) and session.get(OPERATOR_ROLE) == config["ADMIN_ROLE"]
