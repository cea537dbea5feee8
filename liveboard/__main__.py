from __future__ import annotations

from liveboard.cli import main

raise SystemExit(main())
