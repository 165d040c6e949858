"""What an uploaded document is, read from its content (not its name), and a safe name to download it under."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

# Allowed types: content type -> the extensions a file of that type may carry.
ALLOWED: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
}
ALLOWED_EXTENSIONS = tuple(sorted({ext for exts in ALLOWED.values() for ext in exts}))

_OOXML_PARTS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Sniffed:
    content_type: str | None  # None: not one of the allowed types
    extension_matches: bool


def sniff_content_type(data: bytes) -> str | None:
    """The allowed type the bytes really are, or None (by magic numbers; office files by their zip parts)."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "mimetype" in names:
                    mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                    if mimetype in ALLOWED and mimetype.startswith("application/vnd.oasis"):
                        return mimetype
                if "[Content_Types].xml" in names:
                    for part, content_type in _OOXML_PARTS.items():
                        if part in names:
                            return content_type
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
    return None


def extension(name: str) -> str:
    match = re.search(r"(\.[A-Za-z0-9]{1,8})$", name or "")
    return match.group(1).lower() if match else ""


def sniff(data: bytes, name: str) -> Sniffed:
    content_type = sniff_content_type(data)
    matches = content_type is not None and extension(name) in ALLOWED[content_type]
    return Sniffed(content_type=content_type, extension_matches=matches)


def safe_download_name(name: str, *, fallback: str = "document") -> str:
    """The last path component, without control characters, quotes or separators; letters of any script kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*;\x00]', "_", name).strip().strip(".")
    return name[:150] or fallback
