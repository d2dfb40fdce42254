"""OAuth: token, revoke, introspect (forms), register (JSON), authorize (query): OAuth errors, never 5xx."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Response

from app.oauth.clients import is_loopback
from tests.fuzz.harness import (
    assert_clean,
    assert_oauth_error,
    authorization_bug,
    authorize_bug,
    known_5xx,
    registration_bug,
    send,
)
from tests.fuzz.known import (
    CONFIDENTIAL_REDIRECT,
    FRAMEWORK_STATUSES,
    OAUTH_ENDPOINTS,
    ORIGIN,
    PUBLIC_REDIRECT,
    RESOURCE,
    TOKEN,
    Tally,
    bounded,
)
from tests.fuzz.strategies import HEADER_TEXT, JSON, OBJECTS, TEXT, mostly, weighted
from tests.fuzz.target import Target, basic, pkce


def oauth_values(target: Target) -> dict[str, st.SearchStrategy[str]]:
    """Each OAuth form field: values that mean something to this server, or any text."""
    clients = (target.public_id, target.confidential_id, "https://client.example/metadata.json", "unknown-client")
    tokens = (*target.codes, *target.refresh_tokens, *target.access_tokens)

    def pick(*values: str) -> st.SearchStrategy[str]:
        return st.sampled_from(values) | TEXT

    return {
        "grant_type": pick("authorization_code", "refresh_token", "client_credentials", "password", "implicit"),
        "code": pick(*target.codes),
        "redirect_uri": pick(PUBLIC_REDIRECT, CONFIDENTIAL_REDIRECT, "http://127.0.0.1:1234/callback"),
        "code_verifier": pick(target.verifier, pkce()[0], "short"),
        "client_id": pick(*clients),
        "client_secret": pick(target.confidential_secret, ""),
        "refresh_token": pick(*target.refresh_tokens),
        "resource": pick(RESOURCE, RESOURCE + "/", "https://elsewhere.example/mcp"),
        "scope": pick("mcp", "mcp notes:write", "openid", ""),
        "token": pick(*tokens),
        "token_type_hint": pick("access_token", "refresh_token", "id_token"),
    }


#: The fields each endpoint reads, sent three times in four each.
ENDPOINT_FIELDS = {
    "/oauth/token": ("grant_type", "code", "redirect_uri", "code_verifier", "client_id", "resource"),
    "/oauth/revoke": ("token", "token_type_hint", "client_id"),
    "/oauth/introspect": ("token", "token_type_hint"),
}


@st.composite
def oauth_forms(draw: st.DrawFn, target: Target, path: str) -> MultiDict[str, str]:
    """The endpoint's fields, some other known ones (a name may come twice), and a few unknown ones."""
    values = oauth_values(target)
    names = [name for name in ENDPOINT_FIELDS[path] if draw(mostly(st.just(True), st.just(False)))]
    names += draw(st.lists(st.sampled_from(sorted(values)), max_size=3))
    pairs = [(name, draw(values[name])) for name in names]
    return MultiDict(pairs + draw(st.lists(st.tuples(TEXT, TEXT), max_size=2)))


@st.composite
def redemptions(draw: st.DrawFn, target: Target) -> tuple[MultiDict[str, str], dict[str, str]]:
    """A correct token request (a code this server issued, or a refresh token), then at most one field broken."""
    if draw(st.booleans()):
        grant = draw(st.sampled_from(target.grants))
        form = {"grant_type": "authorization_code", "code": grant.secret, "redirect_uri": grant.redirect_uri}
        form |= {"code_verifier": target.verifier, "resource": RESOURCE}
    else:
        grant = draw(st.sampled_from(target.refreshes))
        form = {"grant_type": "refresh_token", "refresh_token": grant.secret}
    headers: dict[str, str] = {}
    if grant.client_id == target.confidential_id:
        headers["Authorization"] = basic(grant.client_id, target.confidential_secret)
    else:
        form["client_id"] = grant.client_id
    if (broken := draw(st.sampled_from((None, None, *sorted(form))))) is not None:
        form[broken] = draw(TEXT)
    return MultiDict(form), headers


def client_credentials(target: Target) -> st.SearchStrategy[dict[str, str]]:
    """No Authorization, the confidential client's Basic credentials, wrong ones, or junk."""
    return st.sampled_from(
        [
            {},
            {"Authorization": basic(target.confidential_id, target.confidential_secret)},
            {"Authorization": basic(target.confidential_id, "wrong")},
            {"Authorization": basic(target.public_id, "")},
            {"Authorization": "Basic !!!"},
            {"Authorization": f"Bearer {TOKEN}"},
        ]
    ) | HEADER_TEXT.map(lambda text: {"Authorization": text})


@st.composite
def oauth_requests(draw: st.DrawFn, target: Target) -> tuple[str, dict[str, Any], str | None]:
    """A POST to token, revoke or introspect: a form (or JSON, or the query string), any credentials and Accept."""
    path = draw(st.sampled_from(OAUTH_ENDPOINTS))
    accept = draw(st.sampled_from((None, "application/json", "text/html", "*/*")))
    if path == "/oauth/token" and draw(st.booleans()):
        form, headers = draw(redemptions(target))
    else:
        form, headers = draw(oauth_forms(target, path)), draw(client_credentials(target))
    headers |= {"Accept": accept} if accept else {}
    how = draw(st.sampled_from(("form",) * 6 + ("json", "query")))
    kwargs: dict[str, Any] = {"headers": headers}
    if how == "form":
        kwargs["data"] = form
    elif how == "json":
        kwargs |= {"data": json.dumps(form.to_dict()), "content_type": "application/json"}
    else:
        kwargs["query_string"] = form
    return path, kwargs, accept


def test_oauth_endpoints_fuzz(target: Target) -> None:
    """Token, revoke and introspect with any fields, credentials and encodings: OAuth errors on 4xx, never 5xx."""
    tally = Tally("POST /oauth/token, /oauth/revoke, /oauth/introspect")

    @bounded(300)
    @given(request=oauth_requests(target))
    @tally.counted
    def run(request: tuple[str, dict[str, Any], str | None]) -> None:
        path, kwargs, accept = request
        response = send(target.client, "POST", path, **kwargs)
        body = response.get_json(silent=True)
        outcome = body.get("error", "ok") if isinstance(body, dict) else "not json"
        tally.saw(response, f"{path.removeprefix('/oauth/')} {outcome}")
        if known_5xx(response, authorization_bug(kwargs["headers"]), tally):
            return
        assert_clean(response, f"POST {path} {kwargs!r}")
        if 400 <= response.status_code < 500:
            assert_oauth_error(response, f"POST {path}")
        if path == "/oauth/token" and response.status_code not in FRAMEWORK_STATUSES:
            assert "no-store" in response.headers.get("Cache-Control", ""), response.headers

    tally.run(run)


@st.composite
def redirect_uris(draw: st.DrawFn) -> str:
    """Redirect URIs of every kind, mostly plausible: https, loopback http, private-use schemes; and dangerous
    schemes, broken ports and hosts, and any text."""
    scheme = draw(mostly(st.sampled_from(("https", "http", "com.example.app")), st.sampled_from(ODD_SCHEMES) | TEXT))
    host = draw(mostly(st.sampled_from(("client.example", "localhost", "127.0.0.1", "[::1]")), ODD_HOSTS | TEXT))
    port = draw(mostly(st.sampled_from(("", ":8080")), st.sampled_from(ODD_PORTS)))
    path = draw(mostly(st.sampled_from(("/callback", "/cb", "/")), st.sampled_from(("", "/cb?x=1", "/cb#x")) | TEXT))
    form = draw(mostly(st.just("{scheme}://{host}{port}{path}"), st.sampled_from(("{scheme}:{path}", "{path}"))))
    return draw(mostly(st.just(form.format(scheme=scheme, host=host, port=port, path=path)), st.text(max_size=20)))


ODD_SCHEMES = ("HTTPS", "myapp", "javascript", "data", "file", "")
ODD_HOSTS = st.sampled_from(("10.0.0.1", "", "[::1", "a b", "x.example:1:2", "user@client.example"))
ODD_PORTS = (":0", ":65535", ":65536", ":99999", ":abc", ":", ":-1")


def client_metadata() -> st.SearchStrategy[Any]:
    """Registration bodies: the fields ClientMetadata reads, mostly with good values; extras; or any JSON."""
    junk = TEXT | JSON
    fields = {
        "redirect_uris": st.lists(redirect_uris(), min_size=1, max_size=3),
        "client_name": mostly(st.text(max_size=30), junk),
        "client_uri": mostly(st.just("https://client.example/"), junk),
        "logo_uri": mostly(st.just("https://client.example/logo.png"), junk),
        "scope": mostly(st.sampled_from(("mcp", "mcp notes:write")), junk),
        "token_endpoint_auth_method": mostly(st.sampled_from(("none", "client_secret_basic", "client_secret_post"))),
        "grant_types": mostly(st.lists(st.sampled_from(("authorization_code", "refresh_token")), min_size=1)),
        "response_types": mostly(st.just(["code"]), st.lists(st.sampled_from(("code", "token"))) | JSON),
        "application_type": mostly(st.sampled_from(("web", "native")), junk),
        "software_id": mostly(st.text(max_size=20), junk),
        "software_version": mostly(st.text(max_size=10), junk),
    }
    others = {key: value for key, value in fields.items() if key != "redirect_uris"}
    metadata = st.fixed_dictionaries({"redirect_uris": fields["redirect_uris"]}, optional=others)
    loose = st.fixed_dictionaries({}, optional=fields | {"redirect_uris": st.lists(redirect_uris()) | JSON})
    return weighted((6, metadata), (1, loose), (1, OBJECTS), (1, JSON))


def redirect_bug(uris: list[str]) -> str | None:
    """The known bug (B3) that redirecting to one of `uris` hits, if any: Werkzeug cannot write it as a Location."""
    for uri in uris:
        try:
            iri_to_uri(uri)
        except (ValueError, UnicodeError):
            return "B3"
    return None


def test_registration_then_authorize_fuzz(target: Target) -> None:
    """Register any metadata (any content type, any Accept); every client the server accepts can then go through
    /oauth/authorize (the consent page, and error redirects) without a 5xx."""
    tally = Tally("POST /oauth/register, then GET /oauth/authorize for each client registered")
    accepts = st.sampled_from((None, "application/json", "text/html"))
    content_types = st.sampled_from(("application/json",) * 8 + ("application/x-www-form-urlencoded", "text/plain"))

    @bounded(200)
    @given(body=client_metadata(), content_type=content_types, accept=accepts)
    @tally.counted
    def run(body: Any, content_type: str, accept: str | None) -> None:
        headers = {"Accept": accept} if accept else {}
        response = send(
            target.client, "POST", "/oauth/register", data=json.dumps(body), content_type=content_type, headers=headers
        )
        tally.saw(response, f"register {response.status_code}")
        if known_5xx(response, registration_bug(body), tally):
            return
        where = f"POST /oauth/register ({content_type}, Accept {accept}) {json.dumps(body)[:300]}"
        assert_clean(response, where)
        assert response.status_code in (201, 400, 415), (where, response.get_data()[:300])
        if response.status_code != 201:
            assert_oauth_error(response, "POST /oauth/register")
            return
        authorize_registered(target, response.json, tally)

    tally.run(run)


def authorize_registered(target: Target, client: dict[str, Any], tally: Tally) -> None:
    """Walk a just-registered client through /oauth/authorize (signed in): the consent page, errors sent to its
    redirect URI (a foreign resource, a plain PKCE method), and each of its first two redirect URIs named."""
    _, challenge = pkce()
    query = {"response_type": "code", "client_id": client["client_id"], "code_challenge": challenge}
    query |= {"code_challenge_method": "S256", "state": "fuzz"}
    uris = client["redirect_uris"]
    variants = [{}, {"resource": "https://elsewhere.example/mcp"}, {"code_challenge_method": "plain"}]
    variants += [{"redirect_uri": uri} for uri in uris[:2] if header_safe(uri)]
    for variant in variants:
        response = send(target.browser, "GET", "/oauth/authorize", query_string=query | variant)
        tally.saw(response, f"authorize {response.status_code}")
        if known_5xx(response, redirect_bug(uris), tally):
            continue
        assert_clean(response, f"GET /oauth/authorize {query | variant} for redirect URIs {uris!r}")
        check_authorize_answer(response, uris)


def same_origin(registered: str, location: str) -> bool:
    """Whether `location` goes where `registered` does: same scheme and host, and port (any port on loopback).
    The Location header went through Werkzeug's IRI-to-URI step (IDNA hosts), so `registered` goes through it too."""
    try:
        registered = iri_to_uri(registered)
    except (ValueError, UnicodeError):  # B3: then no redirect there can have been written
        return False
    want, got = urlsplit(registered), urlsplit(location)
    if (want.scheme.lower(), want.hostname) != (got.scheme.lower(), got.hostname):
        return False
    return is_loopback(want.hostname) or want.port == got.port


def header_safe(text: str) -> bool:
    """Whether the test client can put `text` in a URL (no lone surrogates)."""
    return all(not 0xD800 <= ord(char) <= 0xDFFF for char in text)


def check_authorize_answer(response: Response, registered: list[str]) -> None:
    """200 (consent), 400 (error page), or 302 to sign-in or to a registered redirect URI naming this issuer."""
    assert response.status_code in (200, 302, 400), response.get_data()[:300]
    if response.status_code != 302:
        return
    location = response.location
    if location.startswith(("/auth/login", f"{ORIGIN}/auth/login")):
        return
    assert any(same_origin(uri, location) for uri in registered), (
        f"redirected to {location!r}, not to a registered redirect URI {registered!r}"
    )
    assert parse_qs(urlsplit(location).query).get("iss") == [ORIGIN], location


@st.composite
def authorize_requests(draw: st.DrawFn, target: Target) -> tuple[str, dict[str, str], dict[str, str]]:
    """GET /oauth/authorize with any query, or POST its consent form (with the real CSRF token or not)."""
    _, challenge = pkce()

    def pick(*values: str) -> st.SearchStrategy[str]:
        return mostly(st.sampled_from(values))

    values = {
        "response_type": pick("code", "token", "code id_token"),
        "client_id": pick(target.public_id, target.confidential_id, "https://client.example/metadata.json"),
        "redirect_uri": pick(
            PUBLIC_REDIRECT, CONFIDENTIAL_REDIRECT, "http://127.0.0.1:1/callback", "https://evil.example/"
        ),
        "scope": pick("mcp", "mcp notes:write", "openid email"),
        "state": TEXT,
        "code_challenge": pick(challenge, "short"),
        "code_challenge_method": pick("S256", "plain"),
        "resource": pick(RESOURCE, "https://elsewhere.example/mcp"),
        "prompt": pick("none", "consent", "login"),
    }
    query = draw(st.fixed_dictionaries({}, optional=values))
    if draw(st.sampled_from(("GET", "GET", "POST"))) == "GET":
        return "GET", query, {}
    form = draw(
        st.fixed_dictionaries(
            {"csrf_token": st.just(target.csrf) | TEXT},
            optional={"decision": pick("allow", "deny"), "remember": pick("yes", "no")},
        )
    )
    return "POST", query, form


def test_authorize_fuzz(target: Target) -> None:
    """A signed-in person's /oauth/authorize with any query and consent answers: no 5xx, no open redirect."""
    tally = Tally("GET and POST /oauth/authorize, signed in")

    @bounded(250)
    @given(request=authorize_requests(target))
    @tally.counted
    def run(request: tuple[str, dict[str, str], dict[str, str]]) -> None:
        method, query, form = request
        response = send(target.browser, method, "/oauth/authorize", query_string=query, data=form or None)
        tally.saw(response, f"{method} {response.status_code}")
        if known_5xx(response, authorize_bug(query), tally):
            return
        assert_clean(response, f"{method} /oauth/authorize {query!r} {form!r}")
        check_authorize_answer(response, target.redirects.get(query.get("client_id", ""), []))

    tally.run(run)
