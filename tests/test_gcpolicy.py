"""A pass over the whole store collects garbage rarely, and leaves the collector as it found it."""

from __future__ import annotations

import gc

from monitor.gcpolicy import YOUNG, few_collections


def test_a_pass_collects_rarely_and_restores_the_collector() -> None:
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    with few_collections(freeze=True):
        assert gc.get_threshold()[0] == YOUNG and gc.get_freeze_count() > 0
        with few_collections():  # the judge inside a site build
            assert gc.get_threshold()[0] == YOUNG
        assert gc.get_threshold()[0] == YOUNG and gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_objects_a_program_froze_itself_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with few_collections(freeze=True):
            pass
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
