"""Which of CPython's asyncio tests are not about a third-party loop, and why.

``run_cpython_asyncio.py`` reads this file. A test listed here is still run
on stock asyncio (so the report shows how it fares there), but it is not run
on miniloop, and it never counts as a regression. Every entry gives its
reason; an exclusion without a reason that holds up is a bug in this file.

Patterns are ``fnmatch`` patterns over ``Class.test_name`` inside a module.
``versions`` limits an entry to some Python versions ("3.12" means 3.12.x);
``backends`` to some of the miniloop backends (default: all of them).
"""

from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass

MINILOOP_BACKENDS = ("miniloop", "miniloop-api")


@dataclass(frozen=True)
class Exclusion:
    """Tests (``module`` + ``pattern``) that are not run on miniloop, and why."""

    module: str
    pattern: str
    reason: str
    versions: tuple[str, ...] = ()
    backends: tuple[str, ...] = MINILOOP_BACKENDS

    def applies(self, module: str, test: str, backend: str) -> bool:
        """True if this entry excludes ``test`` of ``module`` on ``backend`` here."""
        if module != self.module or backend not in self.backends:
            return False
        if self.versions and "{}.{}".format(*sys.version_info[:2]) not in self.versions:
            return False
        return fnmatch.fnmatchcase(test, self.pattern)


EXCLUSIONS: list[Exclusion] = [
]


def reason_for(module: str, test: str, backend: str) -> str | None:
    """The reason ``test`` is excluded on ``backend``, or None if it is not."""
    for entry in EXCLUSIONS:
        if entry.applies(module, test, backend):
            return entry.reason
    return None
