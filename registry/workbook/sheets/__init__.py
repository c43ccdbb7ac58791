"""The registry's sheets of the workbook: municipalities, organizations, headcount, people, mentorships.

One module a sheet; ``common`` holds the batched, history-keeping writes and ``refs`` the
references that later sheets read from earlier ones (``ctx.shared``). Each handler plans its
rows against the file and the database in a few set-based queries (never one query per row)
and writes in batches, every created or changed record with its history row.

Natural keys (docs/domain.md §4): municipalities and organizations by code; headcount by
organization and school year; people by organization code, ФИО and date of birth — ФИО
compared case-insensitively and with ё = е, the file's spelling is what is stored; a
mentorship by organization, form, mentor, start date and either its «Группа» or its one mentee.

Importing this package registers the handlers with the import engine (``registry.apps``).
"""

from ..engine import register
from .headcount import HeadcountSheet
from .mentorships import MentorshipsSheet
from .municipalities import MunicipalitiesSheet
from .organizations import OrganizationsSheet
from .people import MenteesSheet, MentorsSheet
from .refs import OrgRef, PersonRef

__all__ = [
    "HeadcountSheet",
    "MenteesSheet",
    "MentorsSheet",
    "MentorshipsSheet",
    "MunicipalitiesSheet",
    "OrgRef",
    "OrganizationsSheet",
    "PersonRef",
]

for _handler in (
    MunicipalitiesSheet(),
    OrganizationsSheet(),
    HeadcountSheet(),
    MentorsSheet(),
    MenteesSheet(),
    MentorshipsSheet(),
):
    register(_handler)
