"""Catalogues: same ids and placeholders in da and en; every id the code uses exists; no hard-coded
human text on a widget."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tablet_app import i18n
from tablet_app.errors import MissingMessageError, UnknownLanguageError

ROOT = Path(__file__).resolve().parents[2] / "tablet_app"
PY_FILES = sorted(ROOT.rglob("*.py"))
KV_FILES = sorted(ROOT.rglob("*.kv"))
# A message id as the code passes it: _("…"), message("…"), Message("…"), app.t('…').
ID_CALL = re.compile(r"""(?:\b_|\bmessage|\bMessage|\bapp\.t)\(\s*['"]([a-z0-9_.]+)['"]""")
LETTERS = re.compile(r"[A-Za-zÆØÅæøå]{2,}")


def used_message_ids() -> set[str]:
    ids: set[str] = set()
    for path in PY_FILES + KV_FILES:
        ids.update(ID_CALL.findall(path.read_text(encoding="utf-8")))
    return ids


def test_the_scanner_finds_the_ids_it_should() -> None:
    assert {
        "login.title",
        "pad.refuse.above_max",
        "vital.heart_rate",
        "format.decimal_separator",
    } <= used_message_ids()


def test_both_catalogues_have_the_same_ids_and_placeholders() -> None:
    da, en = i18n.catalogue("da"), i18n.catalogue("en")
    assert set(da) == set(en)
    for msg_id in da:
        assert i18n.placeholders(da[msg_id]) == i18n.placeholders(en[msg_id]), msg_id


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_id_used_in_code_and_kv_exists(language: str) -> None:
    missing = used_message_ids() - set(i18n.catalogue(language))
    assert not missing, f"missing from {language}.json: {sorted(missing)}"


def test_no_catalogue_entry_is_unused() -> None:
    assert set(i18n.catalogue("da")) - used_message_ids() == set()


def kv_text_literals(path: Path) -> list[str]:
    """``text:`` lines in a kv file whose value is a bare string literal with words in it."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"""\s*text:\s*(['"])(.*)\1\s*$""", line)
        if match and LETTERS.search(match[2]):
            found.append(line.strip())
    return found


def py_text_literals(path: Path) -> list[str]:
    """``text="…"`` keyword arguments and ``x.text = "…"`` assignments with words in them."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.keyword)
            and node.arg == "text"
            or isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Attribute) and t.attr == "text" for t in node.targets)
        ):
            value = node.value
        else:
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, str) and LETTERS.search(value.value):
            found.append(f"line {node.lineno}: {value.value!r}")
    return found


@pytest.mark.parametrize("path", KV_FILES + PY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_widget_text_is_a_hard_coded_human_string(path: Path) -> None:
    found = kv_text_literals(path) if path.suffix == ".kv" else py_text_literals(path)
    assert not found, f"{path.name}: {found}"


def test_the_hard_coded_text_scanners_catch_examples(tmp_path: Path) -> None:
    kv = tmp_path / "x.kv"
    kv.write_text("<A>:\n    text: 'Gem'\n    Label:\n        text: '7'\n")
    py = tmp_path / "x.py"
    py.write_text("Button(text='Gem')\nb.text = \"Log ind\"\nc.text = ','\n")
    assert kv_text_literals(kv) == ["text: 'Gem'"]
    assert len(py_text_literals(py)) == 2


def test_switching_language_renders_the_same_message_in_english_and_tells_subscribers() -> None:
    seen: list[str] = []
    unsubscribe = i18n.language.subscribe(lambda: seen.append(i18n.language.current))
    msg = i18n.message(
        "pad.confirm.implausible",
        label=i18n.message("vital.temperature"),
        value=__import__("decimal").Decimal("42.5"),
        unit="°C",
    )
    assert msg.render() == "Temperatur 42,5 °C er usædvanlig. Er værdien rigtig?"
    i18n.set_language("en")
    assert msg.render() == "Temperature 42.5 °C is unusual. Is the value right?"
    unsubscribe()
    assert seen == ["en"]


def test_an_unknown_language_or_message_id_is_a_clear_error() -> None:
    with pytest.raises(UnknownLanguageError, match="'sv'"):
        i18n.set_language("sv")
    assert i18n.language.current == "da"
    with pytest.raises(MissingMessageError, match="'no.such.id'"):
        i18n._("no.such.id")
