"""What a whole document tells every tool: its docs site, security schemes, acronyms, product words and names."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from generator.config import GeneratorConfig
from generator.diagnostics import Diagnostic, GenerationError
from generator.ir import SecurityScheme
from generator.name_sources import NAME_AIM, NameSource, product_words
from generator.name_sources import choose as choose_source
from generator.naming import shorten_names, unique_names
from generator.openapi import HTTP_METHODS, json_list, json_object, security_scheme_map
from generator.operations import Operation


def docs_base(document: Mapping[str, object], configured: str) -> str:
    """What relative links in the spec's prose are read against: the config's `docs_base_url`, else the spec's
    `externalDocs` URL, else the one site its `info` names (contact, terms of service); empty when none is sure."""
    if configured:
        return configured
    external = document.get("externalDocs")
    url = external.get("url") if isinstance(external, dict) else None
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return url
    info = json_object(document.get("info"))
    contact = json_object(info.get("contact"))
    urls = [u for u in (contact.get("url"), info.get("termsOfService")) if isinstance(u, str) and "://" in u]
    sites = {urlsplit(u)[:2] for u in urls if u.startswith(("https://", "http://"))}
    return f"{next(iter(sites))[0]}://{next(iter(sites))[1]}" if len(sites) == 1 else ""


def name_source(
    op: Operation, products: frozenset[str] = frozenset(), scopes: tuple[tuple[str, str], ...] = ()
) -> NameSource:
    """Where the tool's name and title come from: a short summary, else a worded operationId, else method and path;
    `products`: the document's compound words, kept whole; `scopes`: the config's `related_scopes`, said last in a
    name made from the path (`list_rfis_in_project`)."""
    return choose_source(op.summary, op.operation_id, op.method, op.path, op.description, products, dict(scopes))


def document_products(document: Mapping[str, object], operations: list[Operation]) -> frozenset[str]:
    """The compound words (`GitHub`) the document's title, tags and summaries write as one word, but no parameter
    or schema is named."""
    info = json_object(document.get("info"))
    tags = [t for t in json_list(document.get("tags")) if isinstance(t, dict)]
    texts = [str(info.get("title", "")), *(str(t.get("name", "")) for t in tags), *(op.summary for op in operations)]
    identifiers = {str(name) for name in json_object(json_object(document.get("components")).get("schemas"))}
    for op in operations:
        for parameter in json_list(op.operation.get("parameters")):
            if isinstance(parameter, dict):
                identifiers.add(str(parameter.get("name", "")))
    return product_words(texts, identifiers)


_ACRONYM = re.compile(r"\b([A-Z][A-Z0-9]{1,5})s?\b")
ACRONYM_USES = 3
"""How often the document's prose must write a word in capitals for its paths' words to be spelled so."""


def document_acronyms(document: Mapping[str, object]) -> dict[str, str]:
    """Words the document's operation summaries and descriptions and its tag names write in capitals at least
    ACRONYM_USES times (`RFI`, `ID`), by their lower-case form."""
    counts: dict[str, int] = {}
    texts = [str(t.get("name", "")) for t in json_list(document.get("tags")) if isinstance(t, dict)]
    for item in json_object(document.get("paths")).values():
        for method in HTTP_METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict):
                texts += [str(operation.get("summary", "")), str(operation.get("description", ""))]
    for text in texts:
        for word in _ACRONYM.findall(text):
            counts[word] = counts.get(word, 0) + 1
    return {word.lower(): word for word, count in sorted(counts.items()) if count >= ACRONYM_USES}


def security_schemes(document: Mapping[str, object]) -> tuple[SecurityScheme, ...]:
    """The spec's security schemes, those marked deprecated (OpenAPI 3.2) last so the server prefers the others;
    OAuth2 endpoints from the flows this server signs in with before the device authorization flow."""
    schemes: list[tuple[bool, SecurityScheme]] = []
    for name, raw in security_scheme_map(document).items():
        if not isinstance(raw, dict):
            continue
        flows = {k: v for k, v in json_object(raw.get("flows")).items() if isinstance(v, dict)}
        ordered = sorted(flows.values(), key=lambda flow: "deviceAuthorizationUrl" in flow)
        token_url = next((str(f["tokenUrl"]) for f in ordered if f.get("tokenUrl")), "")
        authorization_url = next((str(f["authorizationUrl"]) for f in ordered if f.get("authorizationUrl")), "")
        scheme = SecurityScheme(
            name=str(name),
            type=str(raw.get("type", "")),
            scheme=str(raw.get("scheme", "")).lower(),
            location=str(raw.get("in", "")),
            parameter_name=str(raw.get("name", "")),
            token_url=token_url,
            authorization_url=authorization_url,
            flows=tuple(flows),
        )
        schemes.append((raw.get("deprecated") is True, scheme))
    return tuple(scheme for _, scheme in sorted(schemes, key=lambda pair: pair[0]))


def deprecated_schemes(document: Mapping[str, object]) -> set[str]:
    """The names of the security schemes OpenAPI 3.2 marks deprecated."""
    return {n for n, s in security_scheme_map(document).items() if isinstance(s, dict) and s.get("deprecated") is True}


def _override_name(config: GeneratorConfig, op: Operation) -> str:
    override = config.operations.override_for(op.method, op.path, op.operation_id)
    return override.name if override is not None and override.name else ""


def tool_names(config: GeneratorConfig, operations: list[Operation], sources: list[NameSource]) -> list[str]:
    """Unique names, at most NAME_AIM characters where a shorter unique name can be had; a config's names win."""
    chosen = [_override_name(config, op) for op in operations]
    candidates = [
        (chosen[i] or "_".join(sources[i].words), op.method, op.path, op.operation_id)
        for i, op in enumerate(operations)
    ]
    worded = frozenset(i for i, source in enumerate(sources) if chosen[i] or source.origin != "path")
    names = unique_names(candidates, worded)
    return shorten_names(names, {i for i, name in enumerate(chosen) if name}, NAME_AIM)


def check_overrides(config: GeneratorConfig, operations: list[Operation]) -> None:
    """Every override must name an operation of the spec (by operationId or `METHOD /path`): typos are errors."""
    keys = {op.operation_id for op in operations}
    keys |= {f"{op.method.upper()} {op.path}" for op in operations}
    unknown = [key for key, _ in config.operations.overrides if key not in keys]
    if unknown:
        raise GenerationError(
            [Diagnostic("error", "config", f"override {key!r} matches no operation", "config", "/operations/overrides")
             for key in unknown]
        )  # fmt: skip


def selected_operations(config: GeneratorConfig, everything: list[Operation]) -> list[Operation]:
    """The operations the config's selection keeps, in document order."""
    selection = config.operations
    return [op for op in everything if selection.selects(op.method, op.path, op.operation_id, op.tags)]


def check_operation_ids(operations: list[Operation], warn: Callable[[str, str, str], None]) -> None:
    """A warning for each operation without an operationId, and for each that repeats an earlier one's."""
    seen_ids: dict[str, str] = {}
    for op in operations:
        operation_id = op.operation.get("operationId")
        if operation_id is None:
            warn("missing-operation-id", "no operationId; the tool is named from the summary", op.pointer)
        elif str(operation_id) in seen_ids:
            message = f"operationId {operation_id!r} is also used at {seen_ids[str(operation_id)]}"
            warn("duplicate-operation-id", message, op.pointer + "/operationId")
        else:
            seen_ids[str(operation_id)] = op.pointer
