"""Personal data in free text is replaced by typed placeholders on the way in, and never stored.

Emails -> [EMAIL], UK and international phone numbers -> [PHONE], card numbers that
pass the Luhn check -> [CARD] (others are kept), the workspace's account patterns
-> [ACCOUNT]. This holds in the stored rows, the rejects CSV and the quarantine
table alike. The column is scanned vectorised: only flagged values reach Python.
"""

import pyarrow as pa
import pytest

from cxloop.errors import SettingsError
from cxloop.ingest import ingest_file
from cxloop.ingest.redact import Redactor, luhn_ok

RAW = [
    "jane.doe@example.co.uk",
    "07700 900123",
    "+44 20 7946 0958",
    "4111 1111 1111 1111",
    "GB82 WEST 1234 5698 7654 32",
    "bob@example.com",
]


@pytest.fixture
def redactor():
    return Redactor([r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b"])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mail jane.doe@example.co.uk now", "mail [EMAIL] now"),
        ("call 07700 900123", "call [PHONE]"),
        ("call 07700900123.", "call [PHONE]."),
        ("ring (020) 7946 0958", "ring [PHONE]"),
        ("ring +44 20 7946 0958 or +1 (555) 123-4567", "ring [PHONE] or [PHONE]"),
        ("US 555-123-4567", "US [PHONE]"),
        ("card 4111 1111 1111 1111 used", "card [CARD] used"),
        ("card 4111-1111-1111-1111", "card [CARD]"),
        ("amex 378282246310005", "amex [CARD]"),
        ("card 4111 1111 1111 1111 2 times", "card [CARD] 2 times"),
        ("order 4111 1111 1111 1112 kept", "order 4111 1111 1111 1112 kept"),
        ("IBAN GB82 WEST 1234 5698 7654 32 thanks", "IBAN [ACCOUNT] thanks"),
        ("paid £1,234.56 on 2024-01-15 at 10:30, ref 123456", None),
        ('=HYPERLINK("http://x") <script>alert(1)</script>', None),
    ],
)
def test_each_kind_of_personal_data(redactor, text, expected):
    assert redactor.text(text) == (text if expected is None else expected)


def test_luhn():
    assert luhn_ok("4111111111111111") and luhn_ok("378282246310005")
    assert not luhn_ok("4111111111111112")


def test_only_flagged_values_reach_python(redactor, monkeypatch):
    seen = []
    clean = Redactor._clean

    def spy(self, suspects):
        seen.append(len(suspects))
        return clean(self, suspects)

    monkeypatch.setattr(Redactor, "_clean", spy)
    comments = [f"comment number {i} about the branch" for i in range(10_000)]
    comments[17] = "email me: a@b.org"
    comments[9_000] = "card 4111 1111 1111 1111"
    out = redactor.column(pa.array(comments + [None]))
    assert seen == [2]
    assert out[17].as_py() == "email me: [EMAIL]" and out[9_000].as_py() == "card [CARD]"
    assert out[-1].as_py() is None and out[5].as_py() == comments[5]


def test_pii_file_is_redacted_everywhere(ingest_ws, bad_dir):
    r = ingest_file(ingest_ws, "responses", bad_dir / "pii.csv")
    assert (r.accepted, r.quarantined) == (5, 1)
    comments = {
        x["response_id"]: x["comment"]
        for x in ingest_ws.analytics.table("responses").to_pyarrow().to_pylist()
    }
    assert comments == {
        "P1": "Email me at [EMAIL] please",
        "P2": "Call [PHONE] or [PHONE]",
        "P3": "My card [CARD] was charged twice",
        "P4": "Order 4111 1111 1111 1112 is not a card (fails Luhn)",
        "P5": "Refund to [ACCOUNT] please",
    }
    everything = [
        str(ingest_ws.analytics.table(t).to_pyarrow().to_pylist())
        for t in ingest_ws.analytics.con.list_tables()
    ]
    everything += [p.read_text() for p in ingest_ws.log_dir.iterdir()]
    text = "\n".join(everything)
    assert "bad score and my email is [EMAIL]" in text  # the quarantined row, redacted
    for raw in RAW:
        assert raw not in text, raw


def test_account_patterns_come_from_the_settings(ingest_ws, tmp_path):
    ingest_ws.settings.privacy.account_patterns = [r"\bACC-\d{6}\b"]
    f = tmp_path / "r.csv"
    f.write_text("response_id,responded_at,nps,comment\nx,2024-06-01,9,my account ACC-123456\n")
    ingest_file(ingest_ws, "responses", f)
    [row] = ingest_ws.analytics.table("responses").to_pyarrow().to_pylist()
    assert row["comment"] == "my account [ACCOUNT]"


def test_an_account_pattern_re2_cannot_run_is_refused(ingest_ws, tmp_path):
    ingest_ws.settings.privacy.account_patterns = [r"(?<=acct )\d+"]
    f = tmp_path / "r.csv"
    f.write_text("response_id,responded_at,nps,comment\nx,2024-06-01,9,acct 12345678\n")
    with pytest.raises(SettingsError) as e:
        ingest_file(ingest_ws, "responses", f)
    assert "privacy.account_patterns[0]" in str(e.value)
    assert ingest_ws.analytics.table("responses").count().to_pyarrow().as_py() == 0
