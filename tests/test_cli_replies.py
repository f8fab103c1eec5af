"""``ippanel-run replies``: replies matched to a campaign's recipients, the CSV, the opt-outs.

The campaign goes out through the in-process sandbox (``--sandbox``); the tests fill the
account's inbox with ``SandboxApp.add_inbox``, as the sandbox's ``/__sandbox__/inbox`` does.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from click.testing import Result
from helpers import Invoke

from runner.replies import is_opt_out, normalized
from runner.sandbox import SandboxApp
from runner.sandbox.testing import FakeClock

REMINDERS = "examples/peer_to_peer_file/appointment-reminders.yaml"
LINE = "+985000125475"  # the campaign's sender


class Account:
    """The sandbox account the CLI uses, with an inbox a test fills."""

    def __init__(self, root: Path, clock: FakeClock, invoke: Invoke) -> None:
        self.app = SandboxApp(root / ".ippanel-sandbox", clock=clock)
        self.invoke = invoke

    def receive(
        self, sender: str, text: str, *, line: str = LINE, at: datetime | None = None
    ) -> None:
        self.app.add_inbox(sender, line, text, None if at is None else at.timestamp())

    def run(self, *args: str) -> Result:
        return self.invoke(args[0], "--sandbox", *args[1:])


@pytest.fixture
def account(in_repo: Path, clock: FakeClock, invoke: Invoke) -> Account:
    """The appointment reminders, sent to their three patients."""
    account = Account(in_repo, clock, invoke)
    account.receive("+989121112233", "old message, before the campaign")
    clock.advance(60)
    sent = invoke("--sandbox", "--yes", REMINDERS)
    assert sent.exit_code == 0, sent.output
    clock.advance(600)
    return account


def test_replies_from_recipients_are_kept_and_written_to_csv(
    account: Account, in_repo: Path
) -> None:
    account.receive("+989121112233", "1")
    account.receive("+989125556677", "لغو ۱۱")
    account.receive("+989129999999", "1")  # not a recipient
    account.receive("+989357778899", "1", line="+983000505")  # to another line
    account.receive("+989357778899", '=HYPERLINK("http://x.invalid","ok")\x1b[2J')

    result = account.run("replies", REMINDERS)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "appointment-reminders: 3 replies from 3 of 3 recipients since 1405-09-05 15:31 Tehran "
        "(2026-11-26); read 6 inbox messages",
        "appointment-reminders: most common answers: «1» × 1, «لغو ۱۱» × 1, "
        '«=HYPERLINK("http://x.invalid"…» × 1',
        "appointment-reminders: 1 opted out (لغو, 11, stop…)",
        "appointment-reminders: add them to an exclude list with --opt-outs FILE",
    ]
    # A --sandbox run's files live in the sandbox's folder, beside its lockfile.
    written = ".ippanel-sandbox/lockfiles/examples/peer_to_peer_file/appointment-reminders"
    csv_text = (in_repo / f"{written}.replies.csv").read_text()
    assert csv_text.splitlines() == [
        "inbox_id,received_utc,received_tehran,phone,message,opt_out",
        "125001,2026-11-26T12:11:00Z,1405-09-05 15:41,09121112233,1,no",
        "125002,2026-11-26T12:11:00Z,1405-09-05 15:41,09125556677,لغو ۱۱,yes",
        "125005,2026-11-26T12:11:00Z,1405-09-05 15:41,09357778899,"
        '"\'=HYPERLINK(""http://x.invalid"",""ok"")?[2J",no',
    ]
    assert f"wrote {written}.replies.csv" in result.stderr


def test_opt_outs_are_appended_once_to_an_exclude_file(account: Account, in_repo: Path) -> None:
    opt_outs = in_repo / "examples/peer_to_peer_file/opt-outs.txt"
    opt_outs.write_text("# earlier\n0912 555 6677\n", encoding="utf-8")  # the same as +98912555…
    account.receive("+989125556677", "۱۱")
    account.receive("+989357778899", "STOP!")
    account.receive("+989121112233", "لغو نکنید، ممنون")  # "don't cancel": not an opt-out

    first = account.run("replies", "--opt-outs", str(opt_outs), REMINDERS)
    again = account.run("replies", "--opt-outs", str(opt_outs), REMINDERS)

    assert first.exit_code == again.exit_code == 0
    assert "added 1 new opt-out(s) to" in first.stdout and "(1 already listed)" in first.stdout
    assert "added 0 new opt-out(s)" in again.stdout and "(2 already listed)" in again.stdout
    assert opt_outs.read_text(encoding="utf-8") == (
        "# earlier\n0912 555 6677\n"
        "# replied with an opt-out word to appointment-reminders (by 1405-09-05 15:41 Tehran)\n"
        "+989357778899\n"
    )
    # the file works as an exclude list: the recipients loader reads it
    campaign = in_repo / REMINDERS
    campaign.write_text(
        campaign.read_text() + "exclude:\n  - file: opt-outs.txt\n", encoding="utf-8"
    )
    plan = account.run("plan", REMINDERS)
    assert "2 excluded" in plan.stdout


def test_a_new_opt_out_file_says_what_it_is_for(account: Account, in_repo: Path) -> None:
    account.receive("+989125556677", "لغو")
    target = in_repo / "campaigns/data/opt-outs.txt"

    assert account.run("replies", "--opt-outs", str(target), REMINDERS).exit_code == 0

    assert target.read_text(encoding="utf-8").splitlines() == [
        "# Numbers that asked for no more messages (ippanel-run replies --opt-outs).",
        "# List this file under exclude: in your campaigns.",
        "# replied with an opt-out word to appointment-reminders (by 1405-09-05 15:41 Tehran)",
        "+989125556677",
    ]


def test_replies_to_a_campaign_never_sent_is_a_usage_error(invoke: Invoke, in_repo: Path) -> None:
    result = invoke("replies", "--sandbox", REMINDERS)
    assert result.exit_code == 2
    assert "nothing of this campaign went out yet" in result.stderr


def test_a_voice_campaign_has_nobody_to_reply_to(invoke: Invoke, in_repo: Path) -> None:
    result = invoke("replies", "--sandbox", "examples/votp/voice-codes.yaml")
    assert result.exit_code == 2
    assert "a votp campaign has no sender line, so nobody can reply to it" in result.stderr


@pytest.mark.parametrize(
    "text", ["لغو", "لغو ۱۱", "۱۱", "١١", "11", "لغو11", "STOP", "Stop!", "لـغـو", "لغو عضویت"]
)
def test_opt_out_words_in_any_script(text: str) -> None:
    assert is_opt_out(text)


@pytest.mark.parametrize("text", ["1", "لغو نکنید", "111", "stop by tomorrow", "ok"])
def test_other_answers_are_not_opt_outs(text: str) -> None:
    assert not is_opt_out(text)


def test_normalized_answers_compare_across_scripts() -> None:
    assert normalized("  لغو ۱۱ ") == normalized("لغو11") == "لغو11"
    assert normalized("كي") == normalized("کی")


def test_an_api_without_an_inbox_says_so(account: Account) -> None:
    account.app.set_api("original")
    result = account.run("replies", REMINDERS)
    assert result.exit_code == 1
    assert "this API has no inbox to read replies from" in result.stderr


def test_replies_help_has_examples(invoke: Invoke) -> None:
    text = invoke("replies", "--help").stdout
    assert "Examples:\n    ippanel-run replies campaigns/spring-sale.yaml\n" in text
