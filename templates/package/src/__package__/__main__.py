"""`python -m <package>` starts the server."""

from .server import main

raise SystemExit(main())
