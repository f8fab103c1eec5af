"""Which mobile operator an Iranian number belongs to, by its prefix.

The prefix tells the operator that issued the number; a number ported since keeps
its prefix, so this is a good estimate, not the operator of record. Price quotes
(``mci`` vs every other operator) and the report's per-operator table use it.
"""

from __future__ import annotations

from typing import Literal

Operator = Literal["mci", "irancell", "other"]
OPERATORS: tuple[Operator, ...] = ("mci", "irancell", "other")

# Hamrah-e Aval (MCI): 0910–0919, 0990–0994. Irancell: 0901–0905, 0930–0939, 0941.
MCI_PREFIXES = tuple(f"+98{p}" for p in [*range(910, 920), *range(990, 995)])
IRANCELL_PREFIXES = tuple(f"+98{p}" for p in [*range(901, 906), *range(930, 940), 941])


def operator_of(phone: str) -> Operator:
    """``mci``, ``irancell`` or ``other`` (other Iranian operators and foreign numbers)."""
    if phone.startswith(MCI_PREFIXES):
        return "mci"
    if phone.startswith(IRANCELL_PREFIXES):
        return "irancell"
    return "other"


def is_mci(phone: str) -> bool:
    return phone.startswith(MCI_PREFIXES)
