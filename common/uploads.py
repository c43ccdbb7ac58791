"""Checks shared by every upload of the portal (ASVS 5.2): what a zip-based office file may hold,
and saving an upload so that a full disk leaves no half-written file behind (docs/reliability.md #49).

A .docx, .pptx or .odt is a zip archive: before anything is unpacked, its central directory
says how many entries it has, how large they unpack and whether it carries macros.
"""

import contextlib
import logging
import zipfile

from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile

from common.faults import DISK_FULL, is_disk_full

log = logging.getLogger(__name__)


class DiskFull(Exception):
    """The disk filled up while a file was written; the partial file is gone. ``message``: for the user."""

    def __init__(self, message: str = DISK_FULL):
        super().__init__(message)
        self.message = message


def save_file(field_file: FieldFile, name: str, content) -> str:
    """``field_file.save(name, content, save=False)`` that cleans up after itself on a full disk.

    ``FileSystemStorage`` writes in chunks and leaves what it wrote when a write fails with
    ENOSPC: the name is fixed first (the field's ``upload_to`` and a free name), so the partial
    file can be deleted, and ``DiskFull`` is raised instead of the ``OSError``.
    """
    field, storage = field_file.field, field_file.storage
    name = storage.get_available_name(field.generate_filename(field_file.instance, name), field.max_length)
    try:
        stored = storage.save(name, content, max_length=field.max_length)
    except OSError as error:
        if not is_disk_full(error):
            raise
        with contextlib.suppress(OSError):
            storage.delete(name)
        log.error("disk full while saving upload %s: %s", name, error)
        raise DiskFull() from error
    field_file.name = stored
    setattr(field_file.instance, field.attname, stored)
    field_file._committed = True
    return stored


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
