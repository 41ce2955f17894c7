"""An MCP server generated from an OpenAPI document: one tool per operation of the API that `api.json` names."""

from .settings import VERSION as __version__

__all__ = ["__version__"]
