"""Checks shared by every upload of the portal (ASVS 5.2): what a zip-based office file may hold.

A .docx, .pptx or .odt is a zip archive: before anything is unpacked, its central directory
says how many entries it has, how large they unpack and whether it carries macros.
"""

import zipfile

from django.core.files.uploadedfile import UploadedFile

MAX_UNPACKED_SIZE = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_ENTRIES = 1000


def zip_names_if_safe(upload: UploadedFile) -> set[str] | None:
    """The archive's entry names, or None when it is broken, a zip bomb or carries macros."""
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        upload.seek(0)
    names = {entry.filename for entry in entries}
    unpacked = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries) or 1
    if (
        any(name.lower().endswith("vbaproject.bin") for name in names)
        or len(entries) > MAX_ZIP_ENTRIES
        or unpacked > MAX_UNPACKED_SIZE
        or unpacked / packed > MAX_COMPRESSION_RATIO
    ):
        return None
    return names
