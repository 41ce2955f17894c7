"""An operation's siblings, for its description: the `list` and `show` of one resource, its `create` and
`update`, the same operation in another API version, or at another scope (the config's `related_scopes`, such as
a company and a project)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from generator.operations import Operation

_VERSION = re.compile(r"/v(\d+(?:\.\d+)*)(?=/|$)")
_PARAMETER = re.compile(r"\{[^}]+\}")
_UPDATE_VERBS = frozenset({"update", "edit", "modify", "change", "replace", "set"})


class _Paths:
    """Reads paths as shapes (no version, no scope, parameters blanked) and facets (version, scope)."""

    def __init__(self, scopes: dict[str, str]) -> None:
        self.scopes = scopes
        names = "|".join(re.escape(segment) for segment in sorted(scopes))
        self.scope = re.compile(rf"/({names})/\{{[^}}]+\}}") if scopes else None

    def shape(self, path: str) -> str:
        """The path without its API version and scope, and with parameter names blanked."""
        unscoped = self.scope.sub("", _VERSION.sub("", path)) if self.scope else _VERSION.sub("", path)
        return _PARAMETER.sub("{}", unscoped)

    def facet(self, path: str) -> tuple[str, str]:
        version = _VERSION.search(path)
        found = self.scope.findall(path) if self.scope else []
        return (f"v{version.group(1)}" if version else "", self.scopes[found[-1]] if found else "")


def related_tools(
    operations: Sequence[Operation], names: Sequence[str], scopes: dict[str, str]
) -> dict[str, list[tuple[str, str]]]:
    """For each tool, its siblings and how they differ: `list`/`show` of the same resource, another API version,
    another scope. Each entry is (tool name, relation); `scopes` maps a path segment that scopes a resource
    (`projects` in `/projects/{id}/...`) to the word for it (`project`)."""
    paths = _Paths(scopes)
    by_shape: dict[tuple[str, str], list[tuple[Operation, str]]] = {}
    for op, name in zip(operations, names, strict=True):
        by_shape.setdefault((op.method, paths.shape(op.path)), []).append((op, name))
    related: dict[str, list[tuple[str, str]]] = {}
    for op, name in zip(operations, names, strict=True):
        found = [*_list_or_show(op, by_shape, paths), *_create_or_update(op, by_shape, paths)]
        own_version, own_scope = paths.facet(op.path)
        for other, other_name in by_shape.get((op.method, paths.shape(op.path)), []):
            if other_name == name:
                continue
            version, scope = paths.facet(other.path)
            if scope != own_scope and scope:
                found.append((other_name, f"scope:{scope}"))
            elif version != own_version and version:
                found.append((other_name, f"version:{version}"))
        if found:
            related[name] = found[:4]
    return related


def _list_or_show(
    op: Operation, by_shape: dict[tuple[str, str], list[tuple[Operation, str]]], paths: _Paths
) -> list[tuple[str, str]]:
    """A read's counterpart: the list of the records it shows, or the show of one record it lists."""
    if op.method != "get":
        return []
    shape, facet = paths.shape(op.path), paths.facet(op.path)
    if shape.endswith("/{}"):
        return [(n, "list") for o, n in by_shape.get(("get", shape[:-3]), []) if paths.facet(o.path) == facet]
    return [(n, "show") for o, n in by_shape.get(("get", shape + "/{}"), []) if paths.facet(o.path) == facet]


def _create_or_update(
    op: Operation, by_shape: dict[tuple[str, str], list[tuple[Operation, str]]], paths: _Paths
) -> list[tuple[str, str]]:
    """A write's counterpart: the update of one record for a create on its collection, the create for an update."""
    shape, facet = paths.shape(op.path), paths.facet(op.path)
    if op.method == "post" and not shape.endswith("/{}"):
        found = [*by_shape.get(("patch", shape + "/{}"), []), *by_shape.get(("put", shape + "/{}"), [])]
        updates = [(o, n) for o, n in found if n.split("_")[0] in _UPDATE_VERBS and paths.facet(o.path) == facet]
        return [(n, "update") for _, n in updates[:1]]
    if op.method in ("patch", "put") and shape.endswith("/{}"):
        return [(n, "create") for o, n in by_shape.get(("post", shape[:-3]), []) if paths.facet(o.path) == facet]
    return []
