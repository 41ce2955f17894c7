"""The spec's URLs: server URLs checked as URLs when the spec is read, and OAuth endpoints on other hosts named."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import urlsplit

from generator.diagnostics import Reporter
from generator.openapi import json_pointer, member, operation_methods, security_scheme_map

# What no URL holds as it is (RFC 3986 wants it percent-encoded) and what would let one break out of Markdown,
# HTML, a string literal or a terminal line: white space, control and bidi characters, quotes, backslash, <, >.
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\"'`<>\\\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_SCHEMES = ("http", "https")
OAUTH_URLS = ("tokenUrl", "refreshUrl", "authorizationUrl", "deviceAuthorizationUrl")


def expand_server_url(server: Mapping[str, object]) -> str:
    """Fill `{variables}` of a Server Object with their defaults (a `variables` that is no mapping fills none)."""
    url = str(server.get("url", ""))
    variables = server.get("variables")
    for name, variable in variables.items() if isinstance(variables, dict) else ():
        if isinstance(variable, dict) and "default" in variable:
            url = url.replace("{" + name + "}", str(variable["default"]))
    return url.rstrip("/")


def url_problem(url: str) -> str:
    """Why a server URL (its variables filled in) cannot be used, or empty: it must be http or https, or relative
    (with `{variables}` left where they have no default, as OpenAPI allows), and hold nothing a URL cannot."""
    unsafe = _UNSAFE.search(url)
    if unsafe is not None:
        return f"it holds {unsafe.group()!a}, which no URL holds as it is"
    scheme = _SCHEME.match(url)
    if scheme is not None and scheme.group(1).lower() not in _SCHEMES:
        return f"its scheme is {scheme.group(1)!r}, not http or https"
    try:
        urlsplit(url)
    except ValueError as exc:
        return f"it is not a URL ({exc})"
    return ""


def _server_holders(document: dict[str, object]) -> Iterator[tuple[dict[str, object], str]]:
    """The document, each path item and each operation, with their pointers: where `servers` lists may be."""
    yield document, ""
    paths = document.get("paths")
    for path, item in paths.items() if isinstance(paths, dict) else ():
        if not isinstance(item, dict):
            continue
        yield item, json_pointer("paths", path)
        for method in operation_methods(item):
            operation = item.get(method)
            if isinstance(operation, dict):
                yield operation, json_pointer("paths", path, method)


def check_server_urls(document: dict[str, object], report: Reporter) -> None:
    """Mend, in place, server URLs with white space around them, and leave out those that are no usable URL (a
    list left empty goes, so the next level's servers apply); one warning each."""
    for holder, pointer in _server_holders(document):
        servers = holder.get("servers")
        if not isinstance(servers, list):
            continue
        kept: list[object] = []
        for index, server in enumerate(servers):
            here = f"{pointer}/servers/{index}"
            url = member(server, "url")
            if not isinstance(server, dict) or not isinstance(url, str):
                kept.append(server)  # the validator explains it
                continue
            if url != url.strip():
                server["url"] = url.strip()
                message = f"white space around server URL {url.strip()!r} removed"
                report.warn("invalid-server-url", message, f"{here}/url")
            problem = url_problem(expand_server_url(server))
            if problem:
                message = f"server URL {expand_server_url(server)!r} left out: {problem}"
                report.warn("invalid-server-url", message, here)
            else:
                kept.append(server)
        if len(kept) < len(servers):
            if kept:
                holder["servers"] = kept
            else:
                del holder["servers"]


def spec_server_urls(document: dict[str, object]) -> list[str]:
    """Every server URL the document names, at any level, variables filled in."""
    urls = []
    for holder, _ in _server_holders(document):
        servers = holder.get("servers")
        for server in servers if isinstance(servers, list) else ():
            if isinstance(server, dict):
                urls.append(expand_server_url(server))
    return urls


def host(url: str) -> str:
    """The host name of an absolute URL, in lower case; empty for a relative one."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def foreign_oauth_hosts(document: dict[str, object], server_urls: Iterable[str], report: Reporter) -> None:
    """A warning for each OAuth endpoint (token, refresh, authorization URL) whose host is none of the servers'
    hosts: the token endpoints receive the client secret and refresh tokens, the authorization URL is where
    people sign in. Relative endpoints are on the API's own host."""
    hosts = sorted({found for url in server_urls if (found := host(url))})
    if not hosts:
        return
    for name, scheme in security_scheme_map(document).items():
        flows = member(scheme, "flows")
        for flow, settings in flows.items() if isinstance(flows, dict) else ():
            for key in OAUTH_URLS:
                url = member(settings, key)
                found = host(url) if isinstance(url, str) else ""
                if not found or found in hosts:
                    continue
                what = "where people sign in" if key == "authorizationUrl" else "what receives the client secret"
                message = (
                    f"`{key}` of the {flow} flow of `{name}` is on {found}, which is none of the API's servers"
                    f" ({', '.join(hosts)}); it is {what}: check that this host belongs to the API's vendor"
                )
                pointer = json_pointer("components", "securitySchemes", name, "flows", flow, key)
                report.warn("foreign-token-host", message, pointer)
