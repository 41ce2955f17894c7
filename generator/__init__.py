"""OpenAPI-to-MCP generator: reads an OpenAPI document and writes an installable MCP server package."""

from __future__ import annotations

__version__ = "0.1.0"
