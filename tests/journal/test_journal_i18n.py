"""The journal's own text (summaries, timeline titles, ISBAR/ATMIST) comes from da/en catalogues:
Danish by default, English on request, the same message ids and placeholders in both."""

from __future__ import annotations

from datetime import timedelta

import pytest

from journal.demo.builder import DEMO_DAY
from journal.demo.scenarios import scenarios
from journal.derived import scores_text
from journal.fold import fold
from journal.handover import atmist, isbar
from journal.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue, placeholders, text
from journal.kinds.disposition import Destination, TransportUrgency
from journal.payload import registered_kinds
from tests.journal.test_completeness_intervals_handover import ANNE, basics, journal


def test_both_catalogues_have_the_same_ids_with_the_same_placeholders() -> None:
    danish, english = catalogue("da"), catalogue("en")
    assert danish.keys() == english.keys()
    assert {k: placeholders(v) for k, v in danish.items()} == {k: placeholders(v) for k, v in english.items()}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_kind_has_a_title_in_every_language(lang: str) -> None:
    titles = {cls.title(lang) for cls in registered_kinds().values()}
    assert (
        all(titles) and len(titles) >= len({k for k, _ in registered_kinds()}) - 2
    )  # PASS, ABCDE read alike


def test_an_unknown_language_or_message_fails_loudly() -> None:
    with pytest.raises(ValueError, match="no journal catalogue"):
        text("sv", "isbar.a", assessment="x")
    with pytest.raises(KeyError):
        text("da", "no.such.message")


def test_the_isbar_is_danish_by_default_and_english_on_request() -> None:
    b, w = journal()
    basics(b, w, complaint="chest_pain")
    b.write(w, TransportUrgency(level="B"), minute=12)
    b.write(w, Destination(hospital="Aalborg UH", eta=DEMO_DAY + timedelta(minutes=45)), minute=13)
    state = fold(b.entries)
    assert DEFAULT_LANGUAGE == "da"
    danish = isbar(state, reporter=ANNE, derived_scores_text=scores_text(state.derived))
    assert danish == isbar(state, reporter=ANNE, derived_scores_text=scores_text(state.derived), lang="da")
    assert "(79 år, mand)" in danish and "Behandling:" in danish and "R: Destination Aalborg UH" in danish
    english = isbar(
        state, reporter=ANNE, derived_scores_text=scores_text(state.derived, lang="en"), lang="en"
    )
    assert "(79 years, male)" in english and "Treatment:" in english
    assert atmist(state).splitlines()[0] == "A: 79 år, mand"
    assert "E: ETA 08:45 til Aalborg UH, kørsel B" in atmist(state)


def test_every_demo_timeline_line_reads_in_both_languages_without_the_other_languages_words() -> None:
    timeline = [item for scenario in scenarios() for item in fold(scenario.entries).timeline]
    assert timeline
    for item in timeline:
        value = item.revision.value
        if value is None:
            continue
        danish, english = value.summary("da"), value.summary("en")
        assert danish and english and value.title("da") and value.title("en")
        if value.KIND == "vital_signs" and value.on_oxygen is False:  # type: ignore[attr-defined]
            assert " på luft" in danish and " on air" in english and "on air" not in danish
