"""The module paths of the flat layout (before the stages became folders), kept importable
for analysts' own notebooks: `from analysis.compare import keyness_by` still works, with a
DeprecationWarning naming the new path. Names that are also functions of the package
(`analysis.normalise`, `analysis.explore`) are left out: importing a module under such a
name would replace the function."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {
    "analysis.attribution": "analysis.speakers.attribution",
    "analysis.compare": "analysis.measures.compare",
    "analysis.corpus_cache": "analysis.ingest.cache",
    "analysis.describe": "analysis.measures.describe",
    "analysis.distributed": "analysis.scale.cluster",
    "analysis.evaluate": "analysis.validation.coding",
    "analysis.explore_widget": "analysis.explorer.widget",
    "analysis.export": "analysis.publish.export",
    "analysis.figcheck": "analysis.publish.figcheck",
    "analysis.figures": "analysis.charts",
    "analysis.inspect": "analysis.ingest.inspect",
    "analysis.label": "analysis.explorer.label",
    "analysis.learned": "analysis.coding.learned",
    "analysis.lexicons": "analysis.text.lexicons",
    "analysis.matching": "analysis.text.matching",
    "analysis.metadata": "analysis.project.metadata",
    "analysis.naming": "analysis.project.naming",
    "analysis.palette": "analysis.project.palette",
    "analysis.parsers": "analysis.ingest.parsers",
    "analysis.plots": "analysis.charts",
    "analysis.report": "analysis.publish.report",
    "analysis.roles": "analysis.speakers.roles",
    "analysis.sources": "analysis.ingest.sources",
    "analysis.terms": "analysis.measures.terms",
    "analysis.tokenise": "analysis.text.tokenise",
    "analysis.versions": "analysis.project.versions",
    "analysis.workers": "analysis.scale.pool",
    "analysis.yamlfile": "analysis.project.yamlfile",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old module path and hands out the module that now holds its code."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} moved to {new}: import it from there (see CONTRIBUTING.md)",
                      DeprecationWarning, stacklevel=3)
        return importlib.import_module(new)

    def exec_module(self, module) -> None:
        """The module is the new one, already executed."""


def install() -> None:
    """Put the finder on the import path once."""
    if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(_MovedModules())
