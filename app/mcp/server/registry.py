"""The tools, resources, prompts and completions of one app, found in its packages."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType

from app.mcp.decorators import spec_of
from app.mcp.specs import CompletionSpec, PromptSpec, ResourceSpec, ToolSpec


class RegistryError(RuntimeError):
    """Two things share a name, or a completion points at nothing: fails start-up."""


@dataclass
class Registry:
    """Everything an app serves, keyed by name or URI and kept in a deterministic order."""

    tools: dict[str, ToolSpec] = field(default_factory=dict)
    resources: dict[str, ResourceSpec] = field(default_factory=dict)
    templates: dict[str, ResourceSpec] = field(default_factory=dict)
    prompts: dict[str, PromptSpec] = field(default_factory=dict)
    completions: dict[tuple[str, str, str], CompletionSpec] = field(default_factory=dict)

    def add(self, spec: ToolSpec | ResourceSpec | PromptSpec | CompletionSpec) -> None:
        """Add one spec; raise RegistryError if its name or URI is taken."""
        if isinstance(spec, ToolSpec):
            table, key = self.tools, spec.name
        elif isinstance(spec, ResourceSpec):
            table, key = (self.templates if spec.is_template else self.resources), spec.uri
        elif isinstance(spec, PromptSpec):
            table, key = self.prompts, spec.name
        else:
            table, key = self.completions, (spec.ref_type, spec.ref, spec.argument)
        if key in table:
            raise RegistryError(f"{key!r} is defined twice: {table[key].fn.__module__} and {spec.fn.__module__}")
        table[key] = spec

    def finish(self) -> Registry:
        """Sort every table, and check that each completion has a target."""
        for name in ("tools", "resources", "templates", "prompts"):
            setattr(self, name, dict(sorted(getattr(self, name).items())))
        for ref_type, ref, argument in self.completions:
            targets = self.prompts if ref_type == "ref/prompt" else self.templates
            if ref not in targets:
                raise RegistryError(f"completion for {argument!r} points at unknown {ref_type[4:]} {ref!r}")
        return self

    def scopes(self) -> set[str]:
        """Every scope some tool, resource or prompt requires."""
        return set(self.needed_by())

    def needed_by(self) -> dict[str, list[str]]:
        """Each required scope, and the names of the tools, resources and prompts that require it."""
        specs = [*self.tools.values(), *self.resources.values(), *self.templates.values(), *self.prompts.values()]
        found: dict[str, list[str]] = {}
        for spec in specs:
            for scope in spec.scopes:
                found.setdefault(scope, []).append(spec.name)
        return found

    def completion_target(self, ref: dict) -> PromptSpec | ResourceSpec | None:
        """Return the prompt or resource template a completion request refers to."""
        if ref.get("type") == "ref/prompt":
            return self.prompts.get(ref.get("name"))  # type: ignore[arg-type]
        if ref.get("type") == "ref/resource":
            return self.templates.get(ref.get("uri"))  # type: ignore[arg-type]
        return None

    def find_resource(self, uri: str) -> tuple[ResourceSpec, dict[str, str]] | None:
        """Return the resource serving `uri` and its template variables."""
        if uri in self.resources:
            return self.resources[uri], {}
        for spec in self.templates.values():
            variables = spec.match(uri)
            if variables is not None:
                return spec, variables
        return None


def load(package_names: Iterable[str]) -> Registry:
    """Import every module of each package once, and collect what they decorate."""
    registry, seen = Registry(), set()
    for module in _modules(package_names):
        for value in vars(module).values():
            spec = spec_of(value)
            # A function imported into a second module is the same object: count it once.
            if spec is not None and id(value) not in seen and value.__module__ == module.__name__:
                seen.add(id(value))
                registry.add(spec)
    return registry.finish()


def _modules(package_names: Iterable[str]) -> Iterable[ModuleType]:
    for name in package_names:
        package = importlib.import_module(name)
        yield package
        for info in pkgutil.walk_packages(getattr(package, "__path__", []), prefix=f"{name}."):
            yield importlib.import_module(info.name)
