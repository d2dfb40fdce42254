"""The WSGI frame around the app (app.frame): arrival hooks before anything else, the headers a response lacks
added as it starts, the rest of a body read once answered, and the last resort's page."""

from __future__ import annotations

from app import frame


def test_the_frame_adds_the_headers_a_response_lacks_and_keeps_those_it_has(make_app):
    app = make_app()

    @app.after_request
    def own_headers(response):
        response.headers["X-Content-Type-Options"] = "own"
        response.headers["X-Request-ID"] = "own-request-id"
        return response

    response = app.test_client().get("/health")
    assert response.headers.getlist("X-Content-Type-Options") == ["own"]
    assert response.headers.getlist("X-Request-ID") == ["own-request-id"]
    page = app.test_client().get("/")
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Content-Security-Policy"]


def test_arrival_hooks_run_before_any_flask_hook(make_app):
    app = make_app()
    seen: list[str] = []
    frame.on_arrival(app, lambda environ: seen.append(f"arrival {environ['PATH_INFO']}"))
    app.before_request(lambda: seen.append("before") or None)
    app.test_client().get("/health")
    assert seen == ["arrival /health", "before"]
