"""Every word the console shows: Vietnamese first, English beside it (one place, for the shared catalogue)."""

from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Cổng cấp chứng nhận", "Issuer console"),
    "sign_in": ("Đăng nhập", "Sign in"),
    "sign_out": ("Đăng xuất", "Sign out"),
    "username": ("Tên đăng nhập", "User name"),
    "password": ("Mật khẩu", "Password"),
    "bad_login": ("Sai tên đăng nhập hoặc mật khẩu", "Wrong user name or password"),
    "rate_limited": (
        "Quá nhiều lần đăng nhập sai; hãy thử lại sau 15 phút",
        "Too many failed sign-ins; try again in 15 minutes",
    ),
    "csrf": (
        "Biểu mẫu đã hết hạn hoặc không hợp lệ; hãy tải lại trang",
        "The form expired or is not valid; reload the page",
    ),
    "forbidden": ("Tài khoản không có quyền này", "This account lacks the role for this"),
    "not_found": ("Không tìm thấy chứng nhận của đơn vị", "No such certificate for this organisation"),
    "nav_issue": ("Cấp chứng nhận", "Issue"),
    "nav_search": ("Tra cứu", "Search"),
    "nav_bulk": ("Tải lên hàng loạt", "Bulk upload"),
    "nav_dashboard": ("Thống kê", "Dashboard"),
    "issue_title": ("Cấp chứng nhận tiêm chủng", "Issue a vaccination certificate"),
    "family_name": ("Họ", "Family name"),
    "given_name": ("Tên đệm và tên", "Given names"),
    "dob": ("Ngày sinh", "Date of birth"),
    "vaccine": ("Vắc xin", "Vaccine"),
    "manufacturer": ("Nhà sản xuất", "Manufacturer"),
    "dose": ("Mũi số", "Dose number"),
    "doses": ("Tổng số mũi", "Total doses"),
    "vaccinated_on": ("Ngày tiêm", "Date of vaccination"),
    "country": ("Quốc gia tiêm", "Country of vaccination"),
    "issue_button": ("Cấp và ký", "Issue and sign"),
    "fix_fields": ("Hãy sửa các ô được đánh dấu", "Correct the marked fields"),
    "required": ("Bắt buộc", "Required"),
    "issued": ("Đã cấp chứng nhận", "Certificate issued"),
    "search_title": ("Tra cứu chứng nhận", "Find a certificate"),
    "search_hint": (
        "Họ tên (không cần dấu), ngày sinh (dd/mm/yyyy) hoặc mã UVCI",
        "Name (accents optional), date of birth (dd/mm/yyyy) or UVCI",
    ),
    "search_button": ("Tìm", "Search"),
    "no_results": ("Không có kết quả", "No results"),
    "results": ("Kết quả", "Results"),
    "name": ("Họ và tên", "Name"),
    "type": ("Loại", "Type"),
    "issued_at": ("Ngày cấp", "Issued"),
    "expires_at": ("Hiệu lực đến", "Valid until"),
    "status": ("Trạng thái", "Status"),
    "valid": ("Còn hiệu lực", "Valid"),
    "revoked": ("ĐÃ THU HỒI", "REVOKED"),
    "uvci": ("Mã chứng nhận", "Certificate identifier"),
    "print": ("In chứng nhận (PDF)", "Print (PDF)"),
    "reprint": ("In lại", "Reprint"),
    "revoke_title": ("Thu hồi chứng nhận", "Revoke the certificate"),
    "reason": ("Lý do", "Reason"),
    "revoke_button": ("Thu hồi", "Revoke"),
    "reason_short": ("Lý do cần từ 3 đến 200 ký tự", "The reason needs 3 to 200 characters"),
    "revoked_on": ("Thu hồi ngày", "Revoked on"),
    "bulk_title": ("Cấp hàng loạt từ tệp CSV hoặc NDJSON", "Issue from a CSV or NDJSON file"),
    "file": ("Tệp", "File"),
    "upload": ("Tải lên", "Upload"),
    "no_file": ("Hãy chọn một tệp", "Choose a file"),
    "progress": ("Tiến độ", "Progress"),
    "rows_done": ("Đã xử lý", "Rows done"),
    "rows_issued": ("Đã cấp", "Issued"),
    "rows_rejected": ("Bị từ chối", "Rejected"),
    "row": ("Dòng", "Row"),
    "result": ("Kết quả", "Result"),
    "rejects_csv": ("Tải các dòng bị từ chối (CSV)", "Download rejected rows (CSV)"),
    "job_running": ("Đang chạy", "Running"),
    "job_finished": ("Hoàn tất", "Finished"),
    "job_failed": ("Thất bại", "Failed"),
    "dashboard_title": ("Chứng nhận đã cấp trong 30 ngày", "Certificates issued in the last 30 days"),
    "per_day": ("Theo ngày", "Per day"),
    "per_site": ("Theo cơ sở", "Per site"),
    "per_type": ("Theo loại", "Per type"),
    "all_orgs": ("Tất cả đơn vị", "All organisations"),
    "this_org": ("Đơn vị của tôi", "My organisation"),
    "total": ("Tổng", "Total"),
    "type_v": ("Tiêm chủng", "Vaccination"),
    "type_t": ("Xét nghiệm", "Test"),
    "type_r": ("Khỏi bệnh", "Recovery"),
    "unavailable": ("Dịch vụ tạm thời không sẵn sàng; chưa lưu gì", "Service unavailable; nothing was stored"),
}


def text(key: str) -> str:
    """``"Vietnamese / English"`` for ``key``."""
    vietnamese, english = TEXTS[key]
    return f"{vietnamese} / {english}"


def vi(key: str) -> str:
    return TEXTS[key][0]


def en(key: str) -> str:
    return TEXTS[key][1]
