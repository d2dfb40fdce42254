"""MCP Apps views (the `io.modelcontextprotocol/ui` extension): HTML a host shows a tool's result in.

A view is a `ui://` resource of type `text/html;profile=mcp-app`, made from a Jinja template in
app/ui/ by `@view` (app/mcp/decorators.py). The host renders it in a sandboxed frame with no
origin of its own, so everything it needs is inlined (the templates include their script and
style) and anything else it loads must be declared (`csp`). A tool names its view with
`@tool(ui="ui://...")`; its `structuredContent` is what the view draws.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app
from jinja2 import Environment, FileSystemLoader, select_autoescape

#: The MIME type of a view.
APP_MIME_TYPE = "text/html;profile=mcp-app"
#: The folder of the views' templates, in the app package.
UI_FOLDER = "ui"
#: What a view may ask the host to let it use (Permission Policy features).
PERMISSIONS = ("camera", "microphone", "geolocation", "clipboardWrite")
#: Where a view may load from or connect to, by CSP directive family.
CSP_KEYS = ("connectDomains", "resourceDomains", "frameDomains", "baseUriDomains")
#: An origin a view may declare: https (or wss for connections), a host with an optional port, or `*.` and a
#: domain of at least two labels (`https://*.example.com`, never `https://*.com`).
VIEW_ORIGIN = re.compile(r"(https|wss)://(\*\.[a-z0-9-]+(\.[a-z0-9-]+)+|[a-z0-9-]+(\.[a-z0-9-]+)*)(:[0-9]{1,5})?")


#: Who may call a tool: the model, views (through their host), or both (the default).
VISIBILITY = ("model", "app")


def ui_meta(uri: str | None, visibility: tuple[str, ...] | None = None) -> dict[str, Any] | None:
    """A tool's `_meta`: the view it shows its result in (also under the older flat key, which hosts still
    read), and who may call it. None when it says neither."""
    if visibility is not None and (not visibility or not set(visibility) <= set(VISIBILITY)):
        raise ValueError(f"visibility takes one or both of {VISIBILITY}")
    ui: dict[str, Any] = {"resourceUri": uri} if uri else {}
    ui |= {"visibility": list(visibility)} if visibility else {}
    if not ui:
        return None
    return {"ui": ui} | ({"ui/resourceUri": uri} if uri else {})


def view_meta(
    csp: dict[str, list[str]] | None, permissions: tuple[str, ...], prefers_border: bool | None
) -> dict[str, Any]:
    """A view's `_meta.ui`: the origins it needs, the browser features it asks for, its border."""
    unknown = [key for key in csp or {} if key not in CSP_KEYS] + [
        name for name in permissions if name not in PERMISSIONS
    ]
    if unknown:
        raise ValueError(f"unknown view settings {unknown}: csp takes {CSP_KEYS}, permissions {PERMISSIONS}")
    ui: dict[str, Any] = {"csp": {key: origins(value) for key, value in (csp or {}).items()}}
    ui |= {"permissions": {name: {} for name in permissions}} if permissions else {}
    ui |= {"prefersBorder": prefers_border} if prefers_border is not None else {}
    return {"ui": ui}


def origins(values: Any) -> list[str]:
    """A view's declared origins, checked (ValueError otherwise): they go into a Content-Security-Policy."""
    if not isinstance(values, list) or not all(
        isinstance(item, str) and VIEW_ORIGIN.fullmatch(item) for item in values
    ):
        raise ValueError("a view's domains are lists of origins like https://cdn.example or https://*.example.com")
    return list(values)


def render(template: str, context: dict[str, Any], folder: str | None = None) -> str:
    """Render a view's template from `folder` (default app/ui/, which it may include from: the bridge), escaped
    as every page is."""
    return _environment(current_app.root_path, folder).get_template(template).render(context)


@cache
def _environment(root: str, folder: str | None) -> Environment:
    folders = [folder] if folder else []
    loader = FileSystemLoader([*folders, str(Path(root) / UI_FOLDER)])
    return Environment(loader=loader, autoescape=select_autoescape(default=True))
