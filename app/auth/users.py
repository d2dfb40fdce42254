"""People who sign in: one row per (provider, subject), kept up to date at each sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, String, UniqueConstraint, false, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.extensions import db, login_manager


@dataclass(frozen=True)
class Profile:
    """Who the provider says signed in; `subject` is its stable id for the person.

    `email_verified`, and `operator_role` (ADMIN_ROLE, if the provider's claims give it), say whether they
    operate the server (app.auth.operators).
    """

    subject: str
    email: str | None = None
    name: str | None = None
    picture: str | None = None
    email_verified: bool = False
    operator_role: str | None = None


class User(UserMixin, db.Model):
    """A person, identified by the provider that vouched for them and its subject."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    #: Whether the provider said, at the last sign-in, that the address is theirs (an ID-JAG may link to it).
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    name: Mapped[str | None] = mapped_column(String(255))
    picture: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def display_name(self) -> str:
        return self.name or self.email or f"{self.provider} user {self.subject}"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Return the signed-in person of a session, or None if the row is gone."""
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def upsert_user(provider: str, profile: Profile) -> User:
    """Create or update the person `provider` vouched for, and record this sign-in."""
    for _attempt in range(2):
        user = db.session.scalar(select(User).filter_by(provider=provider, subject=profile.subject))
        user = user or User(provider=provider, subject=profile.subject)
        user.email, user.name, user.picture = profile.email, profile.name, profile.picture
        user.email_verified = bool(profile.email) and profile.email_verified
        user.last_login_at = utcnow()
        db.session.add(user)
        try:
            db.session.commit()
            return user
        except IntegrityError:
            # Two first sign-ins of one person raced; the other inserted the row.
            db.session.rollback()
    raise RuntimeError("could not record the sign-in")


def known_or_new(provider: str, profile: Profile) -> User:
    """The person `provider` vouches for without a sign-in (an enterprise ID-JAG), their record left as it is.

    By subject first. A subject seen for the first time is the person of the same provider holding
    its e-mail address only when both addresses were verified (the profile's, and that person's own
    at their last sign-in), so an address someone claimed unverified is never taken over; else
    someone new.
    """
    found = db.session.scalar(select(User).filter_by(provider=provider, subject=profile.subject))
    if found is None and profile.email and profile.email_verified:
        same = select(User).filter_by(provider=provider, email_verified=True)
        same = same.where(func.lower(User.email) == profile.email.lower()).order_by(User.id)
        found = db.session.scalars(same).first()
    return found or upsert_user(provider, profile)
