"""The explorer: the corpus in JupyterLab, and labelling with the model's help.

(The folder is `explorer`, not `explore`: `analysis.explore()` is the function that opens it.)

The views (`views`: filters, search, the topic matrix, a unit with its evidence, overrides),
the labelling view (`labelling`) and the stance review queue (`review`) are plain code
returning frames, dicts and HTML, tested without a browser; the widgets (`widget`) only
call them. `label` is the terminal loop that labels an unlabelled event's
speakers.

May import: `analysis.validation`, `analysis.measures`, `analysis.estimates`,
`analysis.coding`, `analysis.corpus` and below.
"""

from __future__ import annotations

from analysis.corpus import Corpus
from analysis.explorer import labelling, review, views


class _Shown:
    """Shown as its widget's box when it is the last value of a notebook cell, with
    `_plain()` as the text form."""

    def _plain(self) -> str:
        return repr(self)

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget().box._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = self._plain()
        return bundle


class Explorer(_Shown, views.Explorer):
    """The explorer's views, shown as one ipywidgets box when it is the last value of a
    notebook cell."""

    def widget(self):
        """The explorer as one ipywidgets box (analysis/explorer/widget.py)."""
        from analysis.explorer.widget import ExplorerWidget

        return ExplorerWidget(self)


class Labelling(_Shown, labelling.Labelling):
    """The labelling view of the drawn units (`python -m analysis validate draw N`), shown as
    one ipywidgets box when it is the last value of a notebook cell."""

    def widget(self):
        from analysis.explorer.widget import LabellingWidget

        return LabellingWidget(self)

    def _plain(self) -> str:
        return f"Labelling({self.progress} units answered by {self.labeller})"


class StanceReview(_Shown, review.StanceReview):
    """The review queue of suggested stances, shown as one ipywidgets box when it is the last
    value of a notebook cell."""

    def widget(self):
        from analysis.explorer.widget import ReviewWidget

        return ReviewWidget(self)

    def _plain(self) -> str:
        return f"StanceReview({self.progress}, by {self.reviewer})"


def review_stances(corpus: Corpus | None = None, *, reviewer: str = "analyst") -> StanceReview:
    """Review the suggested stances in JupyterLab; answers go to overrides.yaml."""
    return StanceReview(corpus, reviewer=reviewer)


def label_units(corpus: Corpus | None = None, *, labeller: str = "analyst") -> Labelling:
    """Label the project's drawn units in JupyterLab; answers go to evaluation/labels.yaml."""
    return Labelling(corpus, labeller=labeller)


def explore(corpus: Corpus | None = None) -> Explorer:
    """The explorer of a corpus (default: the current project's), shown when it is the last
    value of a notebook cell."""
    return Explorer(corpus)


__all__ = ["Explorer", "Labelling", "StanceReview", "explore", "label_units", "review_stances"]
