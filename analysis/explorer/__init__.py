"""The explorer: the corpus in JupyterLab, and labelling with the model's help.

(The folder is `explorer`, not `explore`: `analysis.explore()` is the function that opens it.)

The views (`views`: filters, search, the topic matrix, a unit with its evidence, overrides)
are plain functions returning frames and HTML, tested without a browser; the widgets
(`widget`) only call them. `label` is the terminal loop that labels an unlabelled event's
speakers.

May import: `analysis.validation`, `analysis.measures`, `analysis.coding`, `analysis.corpus`
and below.
"""

from __future__ import annotations

from analysis.corpus import Corpus
from analysis.explorer import labelling, views


class Explorer(views.Explorer):
    """The explorer's views, shown as one ipywidgets box when it is the last value of a
    notebook cell."""

    def widget(self):
        """The explorer as one ipywidgets box (analysis/explorer/widget.py)."""
        from analysis.explorer.widget import ExplorerWidget

        return ExplorerWidget(self)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget().box._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = repr(self)
        return bundle


class Labelling(labelling.Labelling):
    """The labelling view of the drawn units (`python -m analysis validate draw N`), shown as
    one ipywidgets box when it is the last value of a notebook cell."""

    def widget(self):
        from analysis.explorer.widget import LabellingWidget

        return LabellingWidget(self)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget().box._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = f"Labelling({self.progress} units answered by {self.labeller})"
        return bundle


def label_units(corpus: Corpus | None = None, *, labeller: str = "analyst") -> Labelling:
    """Label the project's drawn units in JupyterLab; answers go to evaluation/labels.yaml."""
    return Labelling(corpus, labeller=labeller)


def explore(corpus: Corpus | None = None) -> Explorer:
    """The explorer of a corpus (default: the current project's), shown when it is the last
    value of a notebook cell."""
    return Explorer(corpus)


__all__ = ["Explorer", "Labelling", "explore", "label_units"]
