"""Every word the checkpoint scanner page shows, Vietnamese first with English beside it.

Kept in one module (and as ``(vi, en)`` pairs) so it can move into the shared message
catalogue without touching the server or the page: the page itself holds no sentences,
it shows what the server sends.
"""

from __future__ import annotations

from collections.abc import Mapping

from vaxcert.summary import STATUS_TEXT, Status

Text = tuple[str, str]

FORMAT_NAMES: Mapping[str, str] = {
    "hcert": "HCERT (EU DCC / WHO DDCC)",
    "shc": "SMART Health Card",
    "icao-vds-nc": "ICAO VDS-NC",
    "divoc": "DIVOC",
    "unknown": "?",
}

EVENT_NAMES: Mapping[str, Text] = {
    "vaccination": ("Tiêm chủng", "Vaccination"),
    "test": ("Xét nghiệm", "Test"),
    "recovery": ("Khỏi bệnh", "Recovery"),
}

RESULT_NAMES: Mapping[str, Text] = {
    "negative": ("Âm tính", "Negative"),
    "positive": ("Dương tính", "Positive"),
}

HEADLINE: Mapping[str, Text] = {
    "green": ("HỢP LỆ", "VALID"),
    "amber": ("CẦN XEM XÉT", "CHECK"),
    "red": ("KHÔNG HỢP LỆ", "NOT VALID"),
}

INCOMPLETE_SCAN: Text = ("Mã quét chưa đủ, hãy quét lại", "Incomplete scan, scan again")

# What the officer should understand and do, per status; the library's own message is
# shown beside it in small print for the technically minded.
REASONS: Mapping[Status, Text] = {
    Status.NOT_SUPPORTED: (
        "Đây không phải mã chứng nhận y tế mà máy đọc được",
        "This is not a health certificate code this scanner reads",
    ),
    Status.INVALID_ENCODING: INCOMPLETE_SCAN,
    Status.INVALID_COMPRESSION: ("Mã bị hỏng, hãy quét lại", "The code is damaged, scan again"),
    Status.INVALID_SIGNING_FORMAT: ("Chữ ký của mã bị hỏng", "The code's signature is malformed"),
    Status.ISSUER_NOT_TRUSTED: (
        "Nơi cấp không có trong danh sách tin cậy của máy này",
        "The issuer is not on this scanner's trust list",
    ),
    Status.TERMINATED_KEYS: STATUS_TEXT[Status.TERMINATED_KEYS],
    Status.REVOKED_KEYS: STATUS_TEXT[Status.REVOKED_KEYS],
    Status.EXPIRED_KEYS: STATUS_TEXT[Status.EXPIRED_KEYS],
    Status.INVALID_SIGNATURE: (
        "Mã đã bị sửa hoặc làm giả: chữ ký không khớp",
        "The code was altered or forged: the signature does not match",
    ),
    Status.REVOKED: ("Nơi cấp đã thu hồi chứng nhận này", "The issuer has revoked this certificate"),
    Status.EXPIRED: ("Chứng nhận đã hết hạn", "The certificate has expired"),
    Status.REVOCATION_UNKNOWN: (
        "Chứng nhận thật, nhưng danh sách thu hồi đã cũ nên chưa biết đã bị thu hồi chưa",
        "Genuine, but the revocation list is out of date: revocation unknown",
    ),
    Status.RULES_NOT_MET: (
        "Chứng nhận thật, nhưng không đạt quy định nhập cảnh",
        "Genuine, but entry rules not met",
    ),
}

NOT_TRUSTWORTHY: Text = ("Thông tin dưới đây KHÔNG đáng tin", "The details below are NOT trustworthy")
DOSE: Text = ("mũi", "dose")
CHUNKS: Text = ("Đã quét phần {have}/{total}, hãy quét tiếp", "Scanned part {have} of {total}, scan the next")

# The lists the verdicts rely on.
TRUST_LIST = ("Danh sách tin cậy", "Trust list")
REVOCATION_LIST = ("Danh sách thu hồi", "Revocation list")
RULES = ("Quy định nhập cảnh", "Entry rules")
NOT_CHECKED_REVOCATION: Text = (
    "CHƯA KIỂM TRA THU HỒI: không có danh sách thu hồi",
    "REVOCATION NOT CHECKED: no revocation list",
)
NOT_CHECKED_RULES: Text = (
    "CHƯA KIỂM TRA QUY ĐỊNH NHẬP CẢNH: không có quy định",
    "ENTRY RULES NOT CHECKED: no rules loaded",
)
NO_TRUST_LIST: Text = (
    "Không có danh sách tin cậy đã ký: chỉ tin các chứng chỉ được chỉ định",
    "No signed trust list: only the certificates given are trusted",
)
STALE_WARNING: Text = (
    "{name_vi} ĐÃ CŨ (hạn cập nhật {due}): hãy cập nhật",
    "{name_en} is STALE (due {due}): update it",
)
ISSUED_AGO: Text = ("ký {age} trước", "signed {age} ago")
DUE: Text = ("cập nhật trước {due}", "update due {due}")
LOADED: Text = ("{count} quy định, tệp ngày {date}", "{count} rules, file of {date}")


def age_text(seconds: float) -> Text:
    """A list's age in the largest whole unit, in both languages."""
    seconds = max(0, int(seconds))
    for limit, vi, en in ((86400, "ngày", "days"), (3600, "giờ", "hours"), (60, "phút", "minutes")):
        if seconds >= limit:
            return (f"{seconds // limit} {vi}", f"{seconds // limit} {en}")
    return (f"{seconds} giây", f"{seconds} seconds")


def date_text(iso: str | None) -> str:
    """An ISO date (possibly partial: ``1978`` or ``1978-04``) as dd/mm/yyyy, mm/yyyy or yyyy."""
    if not iso:
        return "?"
    parts = iso[:10].split("-")
    if not all(part.isdigit() for part in parts):
        return iso[:32]
    return "/".join(reversed(parts))


# Sentences the page's script shows; it receives them with the list status.
PAGE: Mapping[str, Text] = {
    "ready": ("Sẵn sàng quét", "Ready to scan"),
    "born": ("Ngày sinh", "Date of birth"),
    "format": ("Định dạng", "Format"),
    "missing": ("KHÔNG CÓ", "NONE"),
    "stale": ("ĐÃ CŨ", "STALE"),
    "chunks": CHUNKS,
    "camera_on": ("Camera đang quét", "Camera scanning"),
    "camera_failed": (
        "Không mở được camera: hãy cho phép camera hoặc dùng máy quét cầm tay",
        "Cannot open the camera: allow it or use the handheld scanner",
    ),
}
COUNTS: Text = ("Từ khi mở: {valid} hợp lệ, {invalid} không hợp lệ", "Since start: {valid} valid, {invalid} not valid")
