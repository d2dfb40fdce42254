"""Dynamic client registration (RFC 7591): validated metadata, optional initial access token.

Deprecated by the 2026-07-28 MCP revision in favour of client ID metadata documents,
but most clients still register this way. Registrations that never completed a grant
are deleted CLIENT_IDLE_DAYS after they were made (at a later registration), so open
registration cannot pile up forever; one that completed a grant is kept until it is
removed (app.oauth.removal), so a client coming back after months still gets in.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from typing import Literal

from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint, InvalidClientMetadataError, InvalidRedirectURIError
from flask import current_app
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.errors import oauth_description
from app.extensions import db
from app.oauth import events, housekeeping
from app.oauth.clients import https_problem, redirect_problem
from app.oauth.metadata import authorization_server_metadata
from app.oauth.models import OAuthClient, digest
from app.security import bearer_token

Url = Field(default=None, max_length=2000)


class ClientMetadata(BaseModel):
    """The registration fields this server accepts; anything else is dropped."""

    model_config = ConfigDict(extra="ignore")

    redirect_uris: list[str] = Field(min_length=1, max_length=10)
    client_name: str | None = Field(default=None, max_length=200)
    client_uri: str | None = Url
    logo_uri: str | None = Url
    scope: str | None = Field(default=None, max_length=1000)
    token_endpoint_auth_method: Literal["none", "client_secret_basic", "client_secret_post"] = "client_secret_basic"
    grant_types: list[Literal["authorization_code", "refresh_token"]] = ["authorization_code", "refresh_token"]
    response_types: list[Literal["code"]] = ["code"]
    application_type: Literal["web", "native"] = "web"
    software_id: str | None = Field(default=None, max_length=200)
    software_version: str | None = Field(default=None, max_length=100)

    @field_validator("client_uri", "logo_uri")
    @classmethod
    def https_only(cls, uri: str | None) -> str | None:
        if uri is not None and (problem := https_problem(uri)):
            raise ValueError(problem)
        return uri


class Registration(ClientRegistrationEndpoint):
    def authenticate_token(self, request) -> bool:
        return True  # the route checked the initial access token (see `registration_allowed`)

    def extract_client_metadata(self, request) -> dict:
        try:
            metadata = ClientMetadata.model_validate(request.payload.data or {})
        except ValidationError as error:
            first = error.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            raise InvalidClientMetadataError(oauth_description(f"{where}: {first['msg']}")) from None
        for number, uri in enumerate(metadata.redirect_uris, start=1):
            if problem := redirect_problem(uri, metadata.application_type):
                # No echo of the URI: an error description allows only plain printable ASCII.
                raise InvalidRedirectURIError(f"redirect URI {number} {problem}")
        return metadata.model_dump(exclude_none=True)

    def generate_client_info(self, request) -> dict:
        info = {"client_id": secrets.token_urlsafe(24), "client_id_issued_at": int(time.time())}
        if request.payload.data.get("token_endpoint_auth_method", "client_secret_basic") != "none":
            info |= {"client_secret": secrets.token_urlsafe(32), "client_secret_expires_at": 0}
        return info

    def save_client(self, client_info: dict, client_metadata: dict, request) -> OAuthClient:
        housekeeping.prune_registrations()  # every time: open registration must not pile up
        housekeeping.soon()
        secret = client_info.get("client_secret")
        row = OAuthClient(
            client_id=client_info["client_id"],
            secret_hash=digest(secret) if secret else None,
            kind="registered",
            metadata_json=json.dumps(client_metadata),
        )
        db.session.add(row)
        db.session.commit()
        name = client_metadata.get("client_name") or "a client without a name"
        events.record("registration", True, f"registered dynamically as {name}", row.client_id)
        return row

    def get_server_metadata(self) -> dict:
        return authorization_server_metadata()


def registration_allowed(authorization: str | None) -> bool:
    """Open registration, or closed behind REGISTRATION_TOKEN (an initial access token)."""
    expected = current_app.config["REGISTRATION_TOKEN"]
    presented = bearer_token(authorization) or ""
    return not expected or hmac.compare_digest(presented.encode(), expected.encode())
