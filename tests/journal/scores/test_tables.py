"""The score tables: shipped as validated, cited, versioned data; a malformed table is refused."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest

from journal.scores import (
    CURRENT_TABLE_VERSIONS,
    TABLE_FINGERPRINTS,
    TABLES,
    MalformedTableError,
    PassTable,
    ScoreError,
    ScoreName,
    ScoreTableError,
    UnknownTableVersionError,
    parse_table,
    table,
    versions_of,
)
from journal.scores.registry import load_tables

# A shipped table is never edited in place: a change is a new file with a new version, because journals
# recorded with the old version must keep scoring the same. Update this list only when ADDING a table.
PINNED_FINGERPRINTS = {
    ("gcs", "teasdale-1974"): "9f90be22d911f6e41a85a8a64002066c28e8f703d0916a9f6aaf7d3aab5e2348",
    ("news2", "rcp-2017"): "d8eb0969f058b8f8eb96ae2e07e800e2ec51a2e37a9bf7917eeb19a3f8109406",
    ("pass", "copenhagen-2016"): "9b8505a7b42793d38f3da62ba44886cd5a8295480b70e8e219a016f2ac930cc4",
    ("toks", "rn-2.1"): "c7c432769a78813fc1a2b929556c0552606c4995ea02b2cb2c61cdf853700fb3",
}


def shipped(name: str) -> dict[str, Any]:
    text = (resources.files("journal.scores") / "tables" / name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def test_a_shipped_table_is_never_changed_in_place() -> None:
    assert dict(TABLE_FINGERPRINTS) == PINNED_FINGERPRINTS


def test_the_tables_ship_as_package_data_and_all_load() -> None:
    assert set(TABLES) == set(PINNED_FINGERPRINTS)
    for (score, version), loaded in TABLES.items():
        assert (loaded.score, loaded.version, loaded.id) == (score, version, f"{score}-{version}")


def test_every_score_has_a_table_version_in_force_for_new_journals() -> None:
    assert dict(CURRENT_TABLE_VERSIONS) == {
        "gcs": "teasdale-1974",
        "news2": "rcp-2017",
        "toks": "rn-2.1",
        "pass": "copenhagen-2016",
    }
    assert set(CURRENT_TABLE_VERSIONS) == {score.value for score in ScoreName}
    for score, version in CURRENT_TABLE_VERSIONS.items():
        assert table(score, version).version == version


def test_the_versions_in_force_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(TypeError):
        CURRENT_TABLE_VERSIONS["news2"] = "other"  # type: ignore[index]


def test_every_table_cites_a_source_and_an_unverified_one_says_why() -> None:
    for loaded in TABLES.values():
        assert loaded.sources and all(source.document and source.publisher for source in loaded.sources)
        assert loaded.verified or loaded.verification_note


def test_toks_is_a_regional_table_marked_unverified() -> None:
    toks = table("toks", "rn-2.1")
    assert toks.verified is False
    assert toks.region == "Region Nordjylland"
    assert [source.ref for source in toks.sources] == ["S22a", "S22d", "S22b"]


def test_an_unknown_version_is_a_clear_error() -> None:
    with pytest.raises(UnknownTableVersionError) as raised:
        table("news2", "rcp-2099")
    assert str(raised.value) == "no 'news2' score table with version 'rcp-2099' (known versions: rcp-2017)"
    assert raised.value.known_versions == ("rcp-2017",)
    assert isinstance(raised.value, KeyError | ScoreTableError | ScoreError)


def test_an_unknown_score_is_a_clear_error() -> None:
    with pytest.raises(UnknownTableVersionError, match=r"no 'apgar' score table .* \(known versions: none\)"):
        table("apgar", "1953")
    assert versions_of("apgar") == ()


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[int(last) if last.isdigit() else last]

    return mutate


NEWS2_DEFECTS: dict[str, tuple[Mutation, str]] = {
    "a gap between bands": (_set("respiration_rate.bands.1.max", 10), "leaves a gap"),
    "overlapping bands": (_set("respiration_rate.bands.2.min", 11), "overlaps"),
    "a first band with a min": (_set("pulse.bands.0.min", 0), "open below"),
    "a last band with a max": (_set("pulse.bands.5.max", 500), "open above"),
    "a band whose min is above its max": (_set("systolic_bp.bands.1.max", 90), "above its max"),
    "points above 3": (_set("pulse.bands.0.points", 4), "less than or equal to 3"),
    "a bound finer than the resolution": (_set("temperature_c.bands.1.min", 35.15), "not a multiple"),
    "a missing ACVPU level": (_delete("consciousness.C"), "consciousness must give points"),
    "an unknown ACVPU level": (_set("consciousness.X", 3), "consciousness.X"),
    "no catch-all risk band": (_delete("risk_bands.3"), "last risk band"),
    "an unknown field": (_set("respiration_rate.colour", "red"), "Extra inputs are not permitted"),
    "no sources": (_set("sources", []), "sources"),
    "an id that does not match": (_set("id", "news2-rcp-2018"), "must be 'news2-rcp-2017'"),
    "unverified without a note": (_set("verified", False), "verification_note"),
    "an unknown score": (_set("score", "news3"), "score"),
    "a missing parameter": (_delete("temperature_c"), "temperature_c"),
    "a domain upside down": (_set("spo2_scale_1.domain.min", 101), "below max"),
}


@pytest.mark.parametrize("defect", sorted(NEWS2_DEFECTS))
def test_the_loader_refuses_a_malformed_news2_table(defect: str) -> None:
    mutate, message = NEWS2_DEFECTS[defect]
    document = copy.deepcopy(shipped("news2-rcp-2017.json"))
    mutate(document)
    with pytest.raises(MalformedTableError, match="news2-broken.json") as raised:
        parse_table(json.dumps(document), source_name="news2-broken.json")
    assert message in raised.value.problem


def test_the_loader_refuses_text_that_is_not_json() -> None:
    with pytest.raises(MalformedTableError, match="Invalid JSON"):
        parse_table('{"score": "news2",', source_name="truncated.json")


@pytest.mark.parametrize(
    ("name", "mutate", "message"),
    [
        ("gcs-teasdale-1974.json", _set("eye.5", "extra"), "eye must have exactly the values 1–4"),
        ("gcs-teasdale-1974.json", _delete("verbal_qualifiers.T"), "verbal_qualifiers must describe"),
        ("toks-rn-2.1.json", _set("tiers.4.min_total", 2), "highest min_total first"),
        ("toks-rn-2.1.json", _delete("tiers.4"), "apply from total 0"),
        ("toks-rn-2.1.json", _set("verification_note", None), "verification_note"),
        ("pass-copenhagen-2016.json", _set("items.2.item", "gaze"), "exactly once"),
        ("pass-copenhagen-2016.json", _set("positive_at_or_above", 4), "higher than the maximum"),
    ],
)
def test_the_loader_refuses_malformed_gcs_toks_and_pass_tables(
    name: str, mutate: Mutation, message: str
) -> None:
    document = copy.deepcopy(shipped(name))
    mutate(document)
    with pytest.raises(MalformedTableError) as raised:
        parse_table(json.dumps(document), source_name=name)
    assert message in raised.value.problem


def test_the_loader_refuses_a_file_not_named_after_its_id() -> None:
    text = json.dumps(shipped("pass-copenhagen-2016.json"))
    with pytest.raises(MalformedTableError, match="file name must be pass-copenhagen-2016.json"):
        load_tables([("pass-latest.json", text)])


def test_the_loader_refuses_two_tables_with_the_same_score_and_version() -> None:
    text = json.dumps(shipped("pass-copenhagen-2016.json"))
    with pytest.raises(
        MalformedTableError, match="a second table for score 'pass' version 'copenhagen-2016'"
    ):
        load_tables([("pass-copenhagen-2016.json", text), ("pass-copenhagen-2016.json", text)])


def test_a_new_version_loads_beside_the_old_one_without_changing_it() -> None:
    document = shipped("pass-copenhagen-2016.json")
    document |= {"version": "copenhagen-2016-r2", "id": "pass-copenhagen-2016-r2", "positive_at_or_above": 3}
    original = json.dumps(shipped("pass-copenhagen-2016.json"))
    tables, _ = load_tables(
        [("pass-copenhagen-2016.json", original), ("pass-copenhagen-2016-r2.json", json.dumps(document))]
    )
    old, new = tables[("pass", "copenhagen-2016")], tables[("pass", "copenhagen-2016-r2")]
    assert isinstance(old, PassTable) and isinstance(new, PassTable)
    assert (old.positive_at_or_above, new.positive_at_or_above) == (2, 3)
