"""#49: a file saved through the portal's storage onto a full disk leaves nothing behind.

Documents and practices are saved by their forms through ``default_storage`` (the workbook
upload has its own path, ``common.uploads.save_file``, tested in ``test_disk_full.py``). A real
ENOSPC: the storage's directory is a 64 KB tmpfs mounted for the test (root needed, as in
``test_disk_full.py``).
"""

import errno
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from common.storage import MediaStorage
from tests.faults.test_disk_full import can_mount, mount_tmpfs

pytestmark = pytest.mark.stack


@pytest.fixture
def tiny_disk(tmp_path):
    reason = can_mount(tmp_path)
    if reason:
        pytest.skip(reason)
    disk = tmp_path / "media"
    disk.mkdir()
    mount_tmpfs(disk, "64k")
    yield disk
    subprocess.run(["umount", str(disk)], check=True, timeout=10)  # noqa: S603, S607


def test_the_portal_stores_media_through_the_cleaning_storage():
    default_storage._setup()
    assert isinstance(default_storage._wrapped, MediaStorage)


def test_a_file_larger_than_the_free_space_leaves_no_partial_file(tiny_disk, caplog):
    storage = MediaStorage(location=tiny_disk)
    storage.save("documents/2026/small.pdf", ContentFile(b"%PDF-1.7 small"))
    with pytest.raises(OSError) as raised:
        storage.save("documents/2026/big.pdf", ContentFile(b"x" * 512 * 1024))
    assert raised.value.errno == errno.ENOSPC
    assert sorted(p.name for p in (tiny_disk / "documents" / "2026").iterdir()) == ["small.pdf"]
    assert "disk full while saving documents/2026/big.pdf" in caplog.text
    # With room again the same name is free and the file is stored whole.
    stored = storage.save("documents/2026/big.pdf", ContentFile(b"y" * 10 * 1024))
    assert storage.size(stored) == 10 * 1024
