"""The media storage: Django's ``FileSystemStorage`` that leaves no half-written file on a full disk.

``FileSystemStorage._save`` writes an upload in chunks and, when a write fails with ENOSPC, leaves
what it wrote (docs/reliability.md #49). ``save()`` has chosen a free name before ``_save`` runs, so the
file under that name is the partial one: it is removed and the error goes on (the faults
middleware answers the Russian 507 page). Every file field of the portal (documents, practices,
import workbooks) goes through it.
"""

import contextlib
import logging
import os

from django.core.files.storage import FileSystemStorage

from .faults import is_disk_full

log = logging.getLogger(__name__)


class MediaStorage(FileSystemStorage):
    def _save(self, name, content):
        try:
            return super()._save(name, content)
        except OSError as error:
            if is_disk_full(error):
                with contextlib.suppress(OSError):
                    os.remove(self.path(name))
                log.error("disk full while saving %s: the partial file is removed", name)
            raise
