"""Reading campaign YAML: plain values, positions, and problems reported at their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.errors import InvalidCampaign
from runner.loader import Document, load_document
from runner.models import Location


def _load(tmp_path: Path, text: str | bytes) -> Document:
    path = tmp_path / "c.yaml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return load_document(path)


def _problems(tmp_path: Path, text: str | bytes) -> list[str]:
    with pytest.raises(InvalidCampaign) as caught:
        _load(tmp_path, text)
    return [str(v).replace(str(tmp_path / "c.yaml"), "c.yaml") for v in caught.value.violations]


def test_yaml_11_lookalikes_stay_strings(tmp_path: Path) -> None:
    doc = _load(
        tmp_path,
        "a: no\nb: yes\nc: on\nd: off\ne: 2024-01-01\nf: +989120000000\ng: 09120000000\n"
        "h: 00077\ni: 1e5\nj: 0x1F\nk: 1_000\nl: .5\nm: 12:30\nn: .inf\no: Y\n",
    )
    assert all(isinstance(value, str) for value in doc.data.values()), doc.data
    assert doc.data["h"] == "00077"
    assert doc.data["f"] == "+989120000000"


def test_plain_numbers_booleans_and_nulls_resolve(tmp_path: Path) -> None:
    doc = _load(
        tmp_path,
        "i: 42\nneg: -7\nzero: 0\nf: 1.5\ne: -2.5e3\nt: true\nT: True\nF: FALSE\n"
        "n1: ~\nn2: null\nn3: NULL\nn4:\n",
    )
    assert doc.data == {
        "i": 42, "neg": -7, "zero": 0, "f": 1.5, "e": -2500.0, "t": True, "T": True,
        "F": False, "n1": None, "n2": None, "n3": None, "n4": None,
    }  # fmt: skip


def test_quoted_and_str_tagged_scalars_are_always_strings(tmp_path: Path) -> None:
    doc = _load(tmp_path, "a: '12'\nb: \"true\"\nc: !!str 9120000000\nd: !!float 3\n")
    assert doc.data == {"a": "12", "b": "true", "c": "9120000000", "d": 3.0}


def test_value_and_key_positions_are_one_based(tmp_path: Path) -> None:
    doc = _load(tmp_path, "# comment\nname: x\nrecipients:\n  - '+98912'\n  - file: a.csv\n")
    assert doc.marks[("name",)] == (2, 7)
    assert doc.key_marks[("name",)] == (2, 1)
    assert doc.marks[("recipients", 1, "file")] == (5, 11)
    assert doc.key_marks[("recipients", 1, "file")] == (5, 5)
    assert doc.location(["recipients", 0]) == Location(str(doc.path), 4, 5)
    assert doc.location(["recipients", 1, "file"], key=True).col == 5


def test_location_of_an_absent_path_is_its_nearest_ancestor(tmp_path: Path) -> None:
    doc = _load(tmp_path, "schedule:\n  at: x\n")
    assert doc.location(["schedule", "calendar"]) == Location(str(doc.path), 2, 3)
    assert doc.location(["nothing", 3]) == Location(str(doc.path), 1, 1)
    assert doc.location(["schedule", "nothing"], key=True).line == 2


def test_location_names_the_file_as_the_user_gave_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "campaigns" / "x.yaml").write_text("a: 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    doc = load_document(Path("campaigns/x.yaml"))
    assert str(doc.location(["a"]).violation("bad")) == "campaigns/x.yaml:1:4: bad"


def test_scalar_styles_are_recorded(tmp_path: Path) -> None:
    doc = _load(tmp_path, "a: plain\nb: |\n  lit\nc: >\n  fold\nd: 'sq'\ne: \"dq\"\n")
    assert doc.styles == {("a",): "", ("b",): "|", ("c",): ">", ("d",): "'", ("e",): '"'}
    assert doc.data["b"] == "lit\n"


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    assert _problems(tmp_path, "name: x\n\nmessage: a\nmessage: b\n") == [
        "c.yaml:4:1: duplicate key 'message' (first defined at line 3)"
    ]


def test_every_duplicate_key_is_reported_at_once(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "a: 1\na: 2\nb:\n  c: 1\n  c: 2\n")
    assert problems == [
        "c.yaml:2:1: duplicate key 'a' (first defined at line 1)",
        "c.yaml:5:3: duplicate key 'c' (first defined at line 4)",
    ]


def test_non_string_keys_are_rejected(tmp_path: Path) -> None:
    assert _problems(tmp_path, "1: a\ntrue: b\n? [x]\n: c\n") == [
        "c.yaml:1:1: key '1' must be a name; quote it to use it as text",
        "c.yaml:2:1: key 'true' must be a name; quote it to use it as text",
        "c.yaml:3:3: a key must be a plain name, not a list or mapping",
    ]


def test_syntax_error_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    assert _problems(tmp_path, "a: 1\nb: [1, 2\nc: 3\n") == [
        "c.yaml:3:2: expected ',' or ']', but got ':' (while parsing a flow sequence at line 2)"
    ]


def test_tab_indentation_says_to_use_spaces(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, "a:\n\tb: 1\n")
    assert problem.startswith("c.yaml:2:1: ")
    assert problem.endswith("; indent with spaces, not tabs")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file_is_reported(tmp_path: Path, text: str) -> None:
    assert _problems(tmp_path, text) == ["c.yaml: the file is empty"]


def test_missing_file_is_reported_without_a_line(tmp_path: Path) -> None:
    with pytest.raises(InvalidCampaign) as caught:
        load_document(tmp_path / "absent.yaml")
    assert str(caught.value) == f"{tmp_path / 'absent.yaml'}: cannot read the file: " + (
        "No such file or directory"
    )


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    doc = _load(tmp_path, "\ufeffname: نوروز\n".encode())
    assert doc.data == {"name": "نوروز"}
    assert doc.marks[("name",)] == (1, 7)


def test_invalid_utf8_is_reported_at_its_line(tmp_path: Path) -> None:
    assert _problems(tmp_path, b"a: 1\nb: caf\xe9\n") == [
        "c.yaml:2:7: the file is not valid UTF-8 (byte 0xe9); save it as UTF-8"
    ]


def test_control_character_is_reported_at_its_line(tmp_path: Path) -> None:
    assert _problems(tmp_path, "a: 1\nb: x\x07\n") == [
        "c.yaml:2:5: character #x0007 is not allowed in YAML; remove it"
    ]


def test_aliases_resolve_to_the_anchored_value(tmp_path: Path) -> None:
    doc = _load(tmp_path, "a: &v {x: 1}\nb: *v\nc:\n  <<: *v\n  y: 2\nd: {<<: [*v], x: 3}\n")
    assert doc.data == {"a": {"x": 1}, "b": {"x": 1}, "c": {"x": 1, "y": 2}, "d": {"x": 3}}
    assert doc.marks[("c",)] == (4, 3)


def test_alias_bomb_is_refused_at_the_key_that_expands_it(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    assert _problems(tmp_path, "\n".join(lines) + "\n") == [
        "c.yaml:5:1: more than 20,000 values (a YAML alias counts each time it is used); "
        "put long lists of numbers in a .csv or .txt file"
    ]


def test_aliases_that_expand_to_a_few_values_are_fine(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 4)]
    doc = _load(tmp_path, "\n".join(lines) + "\n")
    assert len(doc.data["a3"]) == 10


def test_recursive_alias_is_rejected(tmp_path: Path) -> None:
    assert _problems(tmp_path, "a: &r [*r]\n") == [
        "c.yaml:1:4: an alias refers to the value that contains it"
    ]


def test_unknown_and_mismatched_tags_are_rejected(tmp_path: Path) -> None:
    assert _problems(tmp_path, "a: !!python/name:os.system x\nb: !custom 1\nc: !!int 0x10\n") == [
        "c.yaml:1:4: unsupported tag '!!python/name:os.system'; remove it",
        "c.yaml:2:4: unsupported tag '!custom'; remove it",
        "c.yaml:3:4: '0x10' is not a valid !!int",
    ]


def test_several_documents_in_one_file_are_rejected(tmp_path: Path) -> None:
    (problem,) = _problems(tmp_path, "a: 1\n---\nb: 2\n")
    assert problem.startswith("c.yaml:2:1: ")
    assert "single document" in problem
