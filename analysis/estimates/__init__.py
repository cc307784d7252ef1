"""Estimates: what the coded tables say about the corpus, with their uncertainty.

A unit's keyword coding is evidence, not an answer: `calibration` turns it into the
probability that a careful reader would tag the unit with a topic (a logistic model fitted
on units readers labelled, kept as data in the project's codebook), and `shares` turns those
probabilities into topic shares per event, speaker or role, each with a 90 % interval that
carries both the calibration's uncertainty and the chance in which units a reader tags.
Labelled units also shift the rest of their event (`Calibration.cell_effects`). `cooccurrence`
gives topic pairs' lift the same way; `talk_time`, inferred speakers' shares of an event
from the attribution model's posterior. `labels` reads labelled units and lays them onto the
corpus's current units; `features` describes each (unit, topic) for the model.

May import: `analysis.coding`, `analysis.corpus` and everything below them.
"""

from analysis.estimates.calibration import (CALIBRATION_FILE, Calibration, fit_calibration,
                                            load_calibration)
from analysis.estimates.shares import WIDE, leader, topic_shares

__all__ = ["CALIBRATION_FILE", "WIDE", "Calibration", "fit_calibration", "leader",
           "load_calibration", "topic_shares"]
