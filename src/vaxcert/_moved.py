"""The old import paths of the modules that moved into a format's subpackage.

Up to 0.1 every module sat directly in ``vaxcert``; the HCERT (EU DCC) stages now live in
``vaxcert.hcert``, next to the other formats' subpackages, over the shared layer (errors, COSE,
keys, trust, the summary model). Integrators' ``import vaxcert.report``, ``from vaxcert import
revocation`` or ``vaxcert.rules.RuleSet`` keep working: the old dotted name resolves to the very
same module object as the new one (``vaxcert.rules is vaxcert.hcert.rules``), so module state,
``isinstance`` checks and monkeypatching agree whichever path a caller used.

There is deliberately no DeprecationWarning (test suites that turn warnings into errors would
break on an upgrade). Type checkers do not see these aliases: new code imports the new path.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

MOVED_TO_HCERT = (
    "base45",
    "certlogic",
    "compression",
    "cwt",
    "dcc",
    "names",
    "pipeline",
    "prefix",
    "report",
    "revocation",
    "rules",
    "schema",
    "uvci",
    "valuesets",
)
# Old dotted name -> new dotted name.
MOVED: dict[str, str] = {f"vaxcert.{name}": f"vaxcert.hcert.{name}" for name in MOVED_TO_HCERT}


class _AliasLoader(Loader):
    """Loads an old name as the already-imported module of its new name."""

    def __init__(self, target: str) -> None:
        self._target = target
        self._original_spec: ModuleSpec | None = None

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        module = importlib.import_module(self._target)
        self._original_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the alias's spec on the shared module object; the module's
        # identity (reload, __spec__.parent for relative imports) stays the new path's.
        if self._original_spec is not None:
            module.__spec__ = self._original_spec


class _AliasFinder(MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        new_name = MOVED.get(fullname)
        if new_name is None:
            return None
        return ModuleSpec(fullname, _AliasLoader(new_name))


def install() -> None:
    """Put the alias finder on ``sys.meta_path`` once (idempotent, so a reload adds no second one)."""
    if not any(type(finder).__name__ == _AliasFinder.__name__ for finder in sys.meta_path):
        sys.meta_path.append(_AliasFinder())


def resolve(name: str) -> ModuleType | None:
    """``vaxcert.<name>`` for a moved module's short name (``vaxcert.rules`` with only ``import vaxcert``)."""
    if f"vaxcert.{name}" not in MOVED:
        return None
    return importlib.import_module(f"vaxcert.{name}")
