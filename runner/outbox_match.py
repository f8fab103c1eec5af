"""How a send is recognized in the account's outbox (``runner.outbox`` asks).

By the sending type's ``outbox_match``: its text and its recipients; for a pattern,
whose text IPPanel fills in from its template, the words of the recipient's params
and the recipient (or a row that shows the template itself, ``%name%``); for
postal_code, whose audience IPPanel picks, the text alone. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from runner.api.types import OutboxRow
from runner.lockfile import text_digest
from runner.models import Batch
from runner.sending_types import spec_of

WORD = re.compile(r"\w+")
TEMPLATE_SLOT = re.compile(r"%\w+%")


def carries(match: str, texts: set[bytes] | None, message: str) -> bool:
    if texts is None:
        return True
    if match == "pattern_words":
        words = {text_digest(w) for w in _words(message)}
        return bool(TEMPLATE_SLOT.search(message)) or texts <= words
    return text_digest(message) in texts


@dataclass
class Wanted:
    """Who is about to get which text (or, for patterns, which words)."""

    text_of: dict[str, str] = field(default_factory=dict)
    words_of: dict[str, frozenset[str]] = field(default_factory=dict)
    by_text: dict[str, list[str]] = field(default_factory=dict)  # texts matched alone
    texts: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)

    def phones(self) -> bool:
        return bool(self.text_of or self.words_of or self.by_text)

    @classmethod
    def of(cls, batches: Sequence[Batch]) -> Wanted:
        wanted = cls()
        for batch in batches:
            match = spec_of(batch.sending_type).outbox_match
            words = frozenset(param_words(batch.fields)) if match == "pattern_words" else None
            for message in batch.messages:
                if match == "text":
                    wanted.by_text.setdefault(message.text, []).extend(message.recipients)
                    continue
                for phone in message.recipients:
                    if words is not None:
                        wanted.words_of[phone] = words
                        wanted.words |= words
                    else:
                        wanted.text_of[phone] = message.text
                        wanted.texts.add(message.text)
        return wanted

    def may_match(self, row: OutboxRow) -> bool:
        """Whether ``row`` could carry a wanted text: worth fetching its recipients."""
        if row.message in self.texts:
            return True
        if not self.words_of:
            return False
        if TEMPLATE_SLOT.search(row.message) or not self.words:
            return True
        return bool(_words(row.message) & self.words)

    def got(self, phone: str, row: OutboxRow) -> bool:
        """Whether ``row`` carried ``phone``'s own text (or pattern words) to it."""
        if phone in self.text_of:
            return self.text_of[phone] == row.message
        words = self.words_of.get(phone)
        if words is None:
            return False
        return bool(TEMPLATE_SLOT.search(row.message)) or words <= _words(row.message)


def param_words(fields: Mapping[str, Any]) -> set[str]:
    params = fields.get("params")
    values = params.values() if isinstance(params, Mapping) else ()
    return _words(" ".join(str(v) for v in values))


def _words(text: str) -> set[str]:
    return {w.casefold() for w in WORD.findall(text)}
