"""``ippanel-run new``: every type's skeleton validates as written; nothing is overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import Invoke

from runner.sending_types import SENDING_TYPES


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh project folder without campaigns/ or schemas/."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("sending_type", SENDING_TYPES)
def test_every_type_validates_as_written(invoke: Invoke, empty: Path, sending_type: str) -> None:
    name = f"first-{sending_type.replace('_', '-')}"

    result = invoke("new", "--type", sending_type, name)

    assert result.exit_code == 0, result.output
    campaign = empty / "campaigns" / f"{name}.yaml"
    text = campaign.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/campaign.schema.json\n")
    assert f"\nname: {name}\n" in text and f"\ntype: {sending_type}\n" in text
    suffix = "txt" if sending_type in ("webservice", "normal", "postal_code") else "csv"
    assert (empty / "campaigns" / "data" / f"{name}.{suffix}").is_file()
    assert (empty / "schemas" / "campaign.schema.json").is_file()
    checked = invoke("validate", f"campaigns/{name}.yaml")
    assert checked.exit_code == 0, checked.output
    # postal_code also counts the 200 numbers its targeting takes from the bank.
    count = 202 if sending_type == "postal_code" else 2
    assert f"ok: campaigns/{name}.yaml ({sending_type}, {count} recipients)" in checked.stdout


def test_a_new_campaign_goes_out_in_the_sandbox(invoke: Invoke, in_repo: Path) -> None:
    assert invoke("new", "spring-sale").exit_code == 0

    sent = invoke("--sandbox", "--yes", "campaigns/spring-sale.yaml")

    assert sent.exit_code == 0, sent.output
    assert "spring-sale: sent 1 batch(es) to 2 recipient(s)" in sent.stdout


def test_an_existing_campaign_is_never_overwritten(invoke: Invoke, in_repo: Path) -> None:
    campaign = in_repo / "campaigns/yalda-1405.yaml"
    before = campaign.read_bytes()

    result = invoke("new", "yalda-1405")

    assert result.exit_code == 2
    assert "campaigns/yalda-1405.yaml already exists; ippanel-run new never overwrites" in (
        result.stderr
    )
    assert campaign.read_bytes() == before
    assert not (in_repo / "campaigns/data/yalda-1405.csv").exists()


def test_an_existing_data_file_is_never_overwritten(invoke: Invoke, empty: Path) -> None:
    data = empty / "campaigns" / "data" / "promo.csv"
    data.parent.mkdir(parents=True)
    data.write_text("phone\n09120000000\n", encoding="utf-8")

    result = invoke("new", "promo")

    assert result.exit_code == 2
    assert "campaigns/data/promo.csv already exists" in result.stderr
    assert not (empty / "campaigns" / "promo.yaml").exists()
    assert data.read_text(encoding="utf-8") == "phone\n09120000000\n"


def test_the_schema_in_the_repository_is_kept(invoke: Invoke, in_repo: Path) -> None:
    schema = in_repo / "schemas/campaign.schema.json"
    before = schema.read_bytes()
    result = invoke("new", "--dir", "campaigns/2026", "--type", "webservice", "maintenance")
    assert result.exit_code == 0, result.output
    assert "schemas/campaign.schema.json" not in result.stdout
    assert schema.read_bytes() == before
    text = (in_repo / "campaigns/2026/maintenance.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schemas/campaign.schema.json")
    assert invoke("validate", "campaigns/2026/maintenance.yaml").exit_code == 0


@pytest.mark.parametrize("name", ["Spring", "../escape", "a b", "-x", "x" * 101])
def test_a_name_the_schema_refuses_is_a_usage_error(invoke: Invoke, empty: Path, name: str) -> None:
    result = invoke("new", "--", name) if name.startswith("-") else invoke("new", name)
    assert result.exit_code == 2
    assert "is not a campaign name" in result.stderr
    assert not (empty / "campaigns").exists()


def test_new_help_has_examples(invoke: Invoke) -> None:
    assert "Examples:\n    ippanel-run new spring-sale\n" in invoke("new", "--help").stdout


def test_init_suggests_new(invoke: Invoke, empty: Path) -> None:
    result = invoke("init")
    assert result.exit_code == 2
    assert "'init' is neither a command nor an existing file or folder (did you mean 'new'?)" in (
        result.stderr
    )
