"""Words for the API's codes: outbox states, recipient outcomes and operators, each explained."""

from __future__ import annotations

from datetime import datetime, timezone

# state_id → (short name, meaning), as the API document lists them.
STATES: dict[int, tuple[str, str]] = {
    0: ("creating", "the message is being created"),
    1: ("in review", "created and waiting in the monitoring (review) queue"),
    2: ("sending", "the message is being sent"),
    3: ("rejected by review", "the monitoring review rejected the message"),
    4: ("invalid recipients", "the recipients were entered incorrectly or are not valid"),
    5: ("in send queue", "approved and waiting in the send queue"),
    6: ("sent", "the message was sent"),
    7: ("cancelled", "sending was cancelled"),
    8: ("no credit", "the account's credit was not enough to send"),
    9: ("system error", "the message was not sent because of a system error"),
}
FINAL_STATES = frozenset({3, 4, 6, 7, 8, 9})
ATTENTION_STATES = frozenset({3, 4, 8, 9})

# message_status → name; None means the API has not given one yet.
STATUSES: dict[int, str] = {
    0: "sent to operator",
    1: "received by operator",
    2: "delivered",
    3: "not delivered",
    4: "blacklisted",
}
FAILED_STATUSES = frozenset({3, 4})
# The report's funnel steps, each explained in one line for the person who ran the campaign.
OUTCOMES: tuple[tuple[str, str, str], ...] = (
    ("recipients", "Recipients", "numbers the campaign's batches were sent to"),
    ("sent", "Sent", "handed on to the operators by IPPanel (after review, at the send time)"),
    ("delivered", "Delivered", "the operator confirmed that the phone received the message"),
    (
        "not_delivered",
        "Not delivered",
        "the operator could not deliver it: phone off or out of reach until the message "
        "expired, a number out of service, or a text the operator filtered",
    ),
    (
        "blacklisted",
        "Blacklisted",
        "the recipient blocked advertising SMS by dialling *800#; operators do not deliver "
        "promotional messages to them",
    ),
    (
        "pending",
        "Pending",
        "no final delivery report yet: still in review or queued, or the operator has not answered",
    ),
)
# Operators in the report's table (``runner.operators`` tells them by number prefix).
OPERATOR_NAMES = {"mci": "MCI (Hamrah-e Aval)", "irancell": "Irancell", "other": "other operators"}
# bulk_stats categories in the order reports show them, with their words.
OPERATOR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("delivered", "delivered"),
    ("failed", "not delivered"),
    ("blacklist", "blacklisted"),
    ("pending", "pending"),
    ("sent", "sent, no delivery report yet"),
)


def state_name(state_id: int | None) -> str:
    if state_id is None:
        return "unknown state"
    return STATES.get(state_id, (f"unknown state {state_id}", ""))[0]


def state_meaning(state_id: int | None) -> str:
    if state_id is None:
        return "the API gave no state"
    return STATES.get(state_id, ("", f"state {state_id} is not in the API's documentation"))[1]


def status_name(status: int | None) -> str:
    if status is None:
        return "no status yet"
    return STATUSES.get(status, f"unknown status {status}")


def iso_utc(moment: datetime | int | None) -> str | None:
    """``2025-03-20T08:00:00Z`` from an aware datetime or unix seconds."""
    if moment is None:
        return None
    if isinstance(moment, int):
        moment = datetime.fromtimestamp(moment, timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
