"""Each exhibit setting is defined once: a model field, and the snapshot's field of the
same name, which the loader fills by itself (core/exhibit.py)."""

from dataclasses import fields

import pytest

from core.exhibit import _READ_APART, ExhibitSnapshot, exhibit_snapshot_load
from core.models import Exhibit


@pytest.mark.django_db
def test_every_same_named_setting_reaches_the_snapshot():
    exhibit = Exhibit.load()
    names = [f.name for f in fields(ExhibitSnapshot) if f.name not in _READ_APART]
    changed = {}
    for name in names:
        value = getattr(exhibit, name)  # an AttributeError here: a snapshot-only setting
        changed[name] = (
            not value if isinstance(value, bool)
            else value + 7 if isinstance(value, int | float)
            else f"{value} (changed)"
        )  # fmt: skip
        setattr(exhibit, name, changed[name])
    exhibit.background = "#123456"
    changed["background"] = "#123456"
    exhibit.save()
    snapshot = exhibit_snapshot_load()
    assert {name: getattr(snapshot, name) for name in changed} == changed


def test_the_snapshots_defaults_are_the_models_defaults():
    """A process that has not read the database yet behaves as a fresh exhibit would:
    the snapshot's defaults may not drift from the model's (the model is the definition)."""
    fresh, snapshot = Exhibit(), ExhibitSnapshot(sheet=0)
    differing = {}
    for f in fields(ExhibitSnapshot):
        if f.name in _READ_APART or not hasattr(fresh, f.name):
            continue
        model_value = getattr(fresh, f.name)
        if isinstance(model_value, list | tuple):
            continue  # filled from the model on load (palettes, languages, messages)
        if getattr(snapshot, f.name) != model_value:
            differing[f.name] = (getattr(snapshot, f.name), model_value)
    assert differing == {}
