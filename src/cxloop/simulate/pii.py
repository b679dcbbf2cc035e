"""Personal data that customers put in comments: emails, UK phone numbers, card numbers
(valid by the Luhn check) and IBANs (valid by ISO 7064 mod 97), each in a sentence.

Used to exercise redaction on ingest; the simulator records how many of each it wrote.
"""

from __future__ import annotations

import random

KINDS = ("email", "phone", "card", "iban")
_DOMAINS = (
    "gmail.com",
    "outlook.com",
    "yahoo.co.uk",
    "hotmail.co.uk",
    "btinternet.com",
    "icloud.com",
)
_SENTENCES = {
    "email": (
        "please email me at {x}",
        "my email is {x} if you need it",
        "you can reach me on {x}",
        "reply to {x} not my old address",
    ),
    "phone": (
        "call me on {x}",
        "my number is {x}",
        "please ring me back on {x}",
        "best number is {x} after 5pm",
    ),
    "card": (
        "my card number is {x}",
        "the charge was on card {x}",
        "card {x} was charged twice",
        "it was on card {x}",
    ),
    "iban": (
        "my account is {x}",
        "refund to {x} please",
        "the payment came from {x}",
    ),
}


def luhn_complete(digits: str) -> str:
    """``digits`` with the Luhn check digit appended."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    """Whether a digit string passes the Luhn check."""
    digits = [c for c in number if c.isdigit()]
    return luhn_complete("".join(digits[:-1])) == "".join(digits)


def _card(r: random.Random) -> str:
    prefix = r.choice(("4", "51", "52", "53", "54", "55"))
    body = prefix + "".join(r.choice("0123456789") for _ in range(15 - len(prefix)))
    n = luhn_complete(body)
    style = r.random()
    if style < 0.5:
        return " ".join(n[i : i + 4] for i in range(0, 16, 4))
    if style < 0.65:
        return "-".join(n[i : i + 4] for i in range(0, 16, 4))
    return n


def _iban(r: random.Random) -> str:
    bank = r.choice(("NWBK", "BARC", "LOYD", "HBUK", "MIDL", "NAIA"))
    bban = bank + "".join(r.choice("0123456789") for _ in range(14))
    moved = bban + "GB00"
    numeric = "".join(str(int(c, 36)) for c in moved)
    check = 98 - int(numeric) % 97
    iban = f"GB{check:02d}{bban}"
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _phone(r: random.Random) -> str:
    d = lambda k: "".join(r.choice("0123456789") for _ in range(k))  # noqa: E731
    return r.choice(
        (
            f"07{d(3)} {d(6)}",
            f"07{d(9)}",
            f"+44 7{d(3)} {d(6)}",
            f"+447{d(9)}",
            f"020 7{d(3)} {d(4)}",
            f"0161 {d(3)} {d(4)}",
            f"(0113) {d(3)} {d(4)}",
        )
    )


def _email(r: random.Random, first: str, last: str) -> str:
    local = r.choice(
        (
            f"{first}.{last}",
            f"{first}{last}{r.randint(1, 99)}",
            f"{first[0]}{last}",
            f"{first}_{r.randint(70, 99)}",
        )
    )
    return f"{local.lower()}@{r.choice(_DOMAINS)}".replace("'", "")


def pii_sentence(r: random.Random, first: str, last: str) -> tuple[str, str]:
    """A sentence holding one piece of personal data, and its kind."""
    kind = r.choices(KINDS, weights=(0.35, 0.35, 0.2, 0.1))[0]
    if kind == "email":
        value = _email(r, first, last)
    elif kind == "phone":
        value = _phone(r)
    elif kind == "card":
        value = _card(r)
    else:
        value = _iban(r)
    return r.choice(_SENTENCES[kind]).format(x=value), kind
