"""The one table of the portal's pages: who reaches each URL name and what the access log records.

``PAGES`` holds every named URL of the portal but the Django admin's: the roles that get through
(each within its own scope, see ``registry.access``), the model whose scope check answers 404 to a
stranger (logged as refused access), and the access-log action the page records (``Audit``).
``mentoring_portal.audit`` reads its table from here; ``tests/battery/test_access_matrix.py`` walks
the URL resolver, fails on a name missing here, and opens every page as every role. See
docs/architecture.md §7.

Actions are the values of ``mentoring_portal.models.AccessLogEntry.Action`` written as plain text:
the apps never import the wiring package.
"""

from dataclasses import dataclass, field

from .models import UserScope

Role = UserScope.Role

CURATOR, COORDINATOR, OPERATOR, ADMIN = Role.CURATOR, Role.COORDINATOR, Role.OPERATOR, Role.ADMIN
MENTOR = Role.MENTOR  # a mentor's own account: its own pairs only
NOBODY = "nobody"  # signed in, without a scope
ROLES = (CURATOR, COORDINATOR, OPERATOR, ADMIN, MENTOR, NOBODY)

SIGNED_IN = frozenset(ROLES)
STAFF = SIGNED_IN - {MENTOR}  # any signed-in user but a mentor (the registry's and monitoring's lists)
TERRITORY = frozenset({CURATOR, COORDINATOR, OPERATOR, ADMIN})  # any role with a territory
SCHOOL = frozenset({CURATOR, ADMIN})  # the school's own curator (and the admin)
OWN_PAIR = frozenset({CURATOR, ADMIN, MENTOR})  # as SCHOOL, and the pair's own mentor
PAIR_READERS = TERRITORY | {MENTOR}  # whoever's scope holds the pair, its own mentor too
REGION = frozenset({OPERATOR, ADMIN})  # the region's operator (and the admin)
RUNNERS = frozenset({COORDINATOR, OPERATOR, ADMIN})  # those who run campaigns and reports
ADMINS = frozenset({ADMIN})

READ = ("GET", "HEAD")
POST = ("POST",)


@dataclass(frozen=True)
class Audit:
    """What a request to the page records in the access log (``AccessLogEntry``)."""

    action: str
    object_type: str = ""
    methods: tuple[str, ...] = READ


@dataclass(frozen=True)
class Page:
    rule: str  # who may do what there, in words
    roles: frozenset = SIGNED_IN  # who gets through, each in its own scope
    scope: str = ""  # the model whose scope check answers a stranger 404 (logged as refused)
    audit: Audit | None = None
    public: bool = False  # open without signing in
    post_only: bool = False  # GET answers 405
    role_first: bool = False  # the role is checked before the object is looked up (403, not 404)
    # GET statuses that are not «200 for ``roles``, 403 for the others» (pages without an object)
    statuses: dict = field(default_factory=dict)

    def refuses_first(self, role) -> bool:
        """The role is refused (403) before any object is looked up: the page says ``role_first``, or
        the role is a mentor's and the page is not one of the few made for it
        (``mentoring_portal.security.MentorPagesMiddleware``)."""
        return role not in self.roles and not self.public and (self.role_first or role == MENTOR)


VIEW, EXPORT, DOWNLOAD, FILE, IMPORT, DESTROY = "view", "export", "download", "file", "import", "destroy"


def _same(status: int) -> dict:
    return dict.fromkeys(ROLES, status)


PAGES: dict[str, Page] = {
    # the portal
    "dashboard": Page(
        "any signed-in user (a mentor: its own pairs and their alerts); ?region=, ?municipality=,"
        " ?organization= narrow it within the user's scope, else 404"
    ),
    "login": Page("everyone; a signed-in user is sent on to the portal", public=True, statuses=_same(302)),
    "logout": Page("signed-in user, POST only", post_only=True, statuses=_same(405)),
    "second-factor": Page(
        "a signed-in admin whose session is not yet verified; anyone else is sent on", statuses=_same(302)
    ),
    # mail an account asks for (mentoring_portal.accounts_mail): the same pages whatever the address
    "password-reset": Page(
        "everyone, no login; POST mails a reset link if an account has the address (the same answer "
        "either way), at most ACCOUNT_MAILS_PER_* an hour, else 429",
        public=True,
    ),
    "password-reset-done": Page("everyone, no login", public=True),
    "password-reset-confirm": Page(
        "everyone, no login, with a live one-time link; a bad or used one: the «ссылка неверна» page",
        public=True,
        statuses=_same(200),
    ),
    "password-reset-complete": Page("everyone, no login", public=True),
    "email-confirm": Page(
        "any signed-in user: its own address to confirm; POST mails the signed link (limited per hour)"
    ),
    "email-confirm-link": Page(
        "the signed-in user the link was signed for; another's, forged or old 404", statuses=_same(404)
    ),
    # the personal calendar (mentoring_portal.calendar): the page makes the secret, the feed needs no login
    "calendar": Page(
        "any user with a role (a mentor too); POST makes a new secret feed URL; a user without a role 403",
        TERRITORY | {MENTOR},
    ),
    "calendar-feed": Page(
        "everyone, no login: the secret in the URL is the key; an unknown, replaced or malformed one 404",
        public=True,
        statuses=_same(404),
    ),
    # notifications (mentoring_portal.notification_views): a user's own notices only, another's id 404
    "notification-list": Page("any signed-in user but a mentor: its own notices, newest first", STAFF),
    "notification-open": Page(
        "any signed-in user but a mentor: its own notice, marked read, redirected to its page; another's 404",
        STAFF,
    ),
    "notification-read-all": Page(
        "any signed-in user but a mentor, POST only: its own unread notices marked read",
        STAFF,
        post_only=True,
        statuses={**_same(405), MENTOR: 403},
    ),
    "notification-settings": Page("any signed-in user but a mentor: e-mail on or off per kind", STAFF),
    # the header search (mentoring_portal.search): every kind of row through access.scoped
    "search": Page("any signed-in user but a mentor; rows scoped, pupils by name as in the lists", STAFF),
    # organizations
    "registry:organization-list": Page("any signed-in user, rows scoped", STAFF),
    "registry:organization-detail": Page(
        "owner, coordinator of its municipality, operator of its region, admin",
        TERRITORY,
        scope="registry.organization",
        audit=Audit(VIEW, "registry.organization"),
    ),
    "registry:organization-edit": Page(
        "curator of the school, admin; coordinator, operator 403; strangers 404",
        SCHOOL,
        "registry.organization",
    ),
    "registry:document-create": Page(
        "curator of the school, admin; coordinator, operator 403; strangers 404",
        SCHOOL,
        "registry.organization",
    ),
    "registry:document-edit": Page(
        "curator of the document's school, admin; readers 403; strangers 404",
        SCHOOL,
        "registry.normativedocument",
    ),
    "registry:document-delete": Page(
        "curator of the document's school, admin; readers 403; strangers 404",
        SCHOOL,
        "registry.normativedocument",
    ),
    "registry:document-file": Page(
        "whoever sees the document (school, municipality, region, admin); else 404",
        TERRITORY,
        "registry.normativedocument",
        audit=Audit(FILE, "registry.normativedocument"),
    ),
    "registry:headcount-edit": Page(
        "curator of the school, admin; coordinator, operator 403; strangers 404",
        SCHOOL,
        "registry.organization",
    ),
    "registry:status-create": Page(
        "region's operator, admin; curator, coordinator 403; strangers 404", REGION, "registry.organization"
    ),
    "registry:status-end": Page(
        "region's operator, admin; curator, coordinator 403; strangers 404", REGION, "registry.organization"
    ),
    # people
    "registry:mentor-list": Page(
        "any signed-in user, rows scoped; «Добавить» for curator and admin only", STAFF
    ),
    "registry:mentee-list": Page(
        "any signed-in user, rows scoped; «Добавить» for curator and admin only", STAFF
    ),
    "registry:person-bulk-archive": Page(
        "POST only: several rows of a base archived; curator (its school's rows) and admin; read-only "
        "roles 403, a row out of scope 404",
        SCHOOL,
        post_only=True,
        statuses={**_same(405), MENTOR: 403},
    ),
    "registry:person-create": Page(
        "curator (into own school) and admin; coordinator and operator 403", SCHOOL
    ),
    "registry:person-detail": Page(
        "curator of the person's school, coordinator of its municipality, operator of its region, "
        "admin; a mentor: itself and its mentees (names only); "
        "others 404; birth date and contacts for the curator and admin only",
        PAIR_READERS,
        "registry.person",
        audit=Audit(VIEW, "registry.person"),
    ),
    "registry:person-edit": Page(
        "curator of the person's school and admin; coordinator, operator 403; others 404",
        SCHOOL,
        "registry.person",
    ),
    "registry:person-archive": Page(
        "POST only; curator of the person's school and admin; read-only roles 403",
        SCHOOL,
        "registry.person",
        post_only=True,
    ),
    "registry:person-invite": Page(
        "the curator of the person's school (an adult mentor: its own account); other roles 403; others 404",
        frozenset({CURATOR}),
        "registry.person",
    ),
    # the invitation's one-time link: the link is the only key; unknown, used or expired 404
    "registry:mentor-invitation": Page(
        "everyone, no login, with a live invitation link; anything else 404",
        public=True,
        statuses=_same(404),
    ),
    "registry:person-export": Page(
        "curator of the person's school and admin; coordinator and operator 403 (a pupil 404); others 404",
        SCHOOL,
        "registry.person",
        audit=Audit(EXPORT, "registry.person", READ + POST),
    ),
    "registry:person-destroy": Page(
        "curator of the person's school and admin, GET confirms, POST destroys; coordinator and operator 403 "
        "(a pupil 404); others 404",
        SCHOOL,
        "registry.person",
        audit=Audit(DESTROY, "registry.person", POST),
    ),
    # mentorships
    "registry:mentorship-list": Page("any signed-in user, rows scoped (a mentor: its own pairs)"),
    "registry:mentorship-create": Page(
        "curator (its school) and admin; coordinator and operator 403", SCHOOL
    ),
    "registry:mentorship-detail": Page(
        "owner, its own mentor (names, no personal data), coordinator of its municipality, operator of "
        "its region, admin",
        PAIR_READERS,
        "registry.mentorship",
        audit=Audit(VIEW, "registry.mentorship"),
    ),
    "registry:mentorship-edit": Page(
        "curator of the pair's school and admin; wider roles 403, strangers 404",
        SCHOOL,
        "registry.mentorship",
    ),
    "registry:mentorship-bulk": Page(
        "POST only: several pairs activated or completed; curator (its school's pairs) and admin; "
        "read-only roles 403, a pair out of scope 404",
        SCHOOL,
        post_only=True,
        statuses={**_same(405), MENTOR: 403},
    ),
    "registry:mentorship-activate": Page(
        "pair school curator and admin, POST only; wider 403, strangers 404",
        SCHOOL,
        "registry.mentorship",
        post_only=True,
    ),
    "registry:mentorship-complete": Page(
        "curator of the pair's school and admin; wider roles 403, strangers 404",
        SCHOOL,
        "registry.mentorship",
    ),
    "registry:mentorship-terminate": Page(
        "curator of the pair's school and admin; wider roles 403, strangers 404",
        SCHOOL,
        "registry.mentorship",
    ),
    # the pair's individual plan (ИПН)
    "registry:mentorship-plan-edit": Page(
        "curator of the pair's school and admin, the pair's own mentor (fill or change the plan); wider "
        "roles 403, strangers 404",
        OWN_PAIR,
        "registry.mentorship",
    ),
    "registry:mentorship-plan-from-template": Page(
        "curator of the pair's school and admin, the pair's own mentor, POST only (a template of the "
        "pair's region and form; another 404); wider roles 403, strangers 404",
        OWN_PAIR,
        "registry.mentorship",
        post_only=True,
    ),
    "registry:mentorship-plan-item-add": Page(
        "curator of the pair's school and admin, the pair's own mentor; wider roles 403, strangers 404",
        OWN_PAIR,
        "registry.mentorship",
    ),
    "registry:mentorship-plan-item-edit": Page(
        "curator of the pair's school and admin, the pair's own mentor (change, mark done); wider roles "
        "403, strangers 404",
        OWN_PAIR,
        "registry.mentorship",
    ),
    # the region's plan templates (the operator keeps them; a curator uses them on a pair's card)
    "registry:plan-template-list": Page("any signed-in user; rows: the templates of its region", STAFF),
    "registry:plan-template-create": Page(
        "the region's operator (its own region), admin (chooses the region); others 403", REGION
    ),
    "registry:plan-template-detail": Page(
        "whoever's scope holds the template's region (read-only but for its operator); others 404",
        TERRITORY,
        "registry.plantemplate",
    ),
    "registry:plan-template-edit": Page(
        "the region's operator, admin (the template and its tasks); readers 403, others 404",
        REGION,
        "registry.plantemplate",
    ),
    "registry:plan-template-delete": Page(
        "POST only; the region's operator, admin; readers 403, others 404",
        REGION,
        "registry.plantemplate",
        post_only=True,
    ),
    # the pair's agreement: its signed scan (the generated document is reports:agreement-*)
    "registry:mentorship-agreement-upload": Page(
        "curator of the pair's school and admin (upload the signed scan); wider roles 403, strangers 404",
        SCHOOL,
        "registry.mentorship",
    ),
    "registry:mentorship-agreement-file": Page(
        "whoever reads the pair (school, municipality, region, admin); its mentor 403 (the scan holds "
        "signatures); no scan or stranger 404",
        TERRITORY,
        "registry.mentorship",
        audit=Audit(FILE, "registry.mentorship"),
    ),
    # the pair's meetings
    "registry:mentorship-meeting-add": Page(
        "curator of the pair's school and admin, the pair's own mentor (record a meeting); wider roles "
        "403, strangers 404",
        OWN_PAIR,
        "registry.mentorship",
    ),
    "registry:mentorship-meeting-edit": Page(
        "curator of the pair's school and admin, the pair's own mentor (change a meeting); wider roles "
        "403, strangers 404",
        OWN_PAIR,
        "registry.mentorship",
    ),
    # the region's registries
    "registry:practice-list": Page("any signed-in user; rows: own school / municipality / region", STAFF),
    "registry:practice-create": Page("curator (its own school) only; others 403", frozenset({CURATOR})),
    "registry:practice-detail": Page(
        "owner curator, coordinator of its municipality, region operator, admin",
        TERRITORY,
        "registry.practicebankentry",
    ),
    "registry:practice-review": Page(
        "POST; operator of its region or admin; read-only roles 403, strangers 404",
        REGION,
        "registry.practicebankentry",
        post_only=True,
    ),
    "registry:practice-file": Page(
        "as practice-detail",
        TERRITORY,
        "registry.practicebankentry",
        audit=Audit(FILE, "registry.practicebankentry"),
    ),
    "registry:practice-public-list": Page("everyone, no login; published practices only", public=True),
    "registry:practice-public-file": Page(
        "everyone, no login; 404 unless the practice is published (a plain 404, logged as a file access)",
        audit=Audit(FILE, "registry.practicebankentry"),
        public=True,
    ),
    "registry:contest-list": Page("any signed-in user; contests of the region, entry counts scoped", STAFF),
    "registry:contest-create": Page("operator or admin; others 403", REGION),
    "registry:contest-detail": Page(
        "region's users (entries scoped to the municipality / school); others 404",
        TERRITORY,
        "registry.contest",
    ),
    "registry:contest-edit": Page(
        "operator of its region or admin; read-only 403, other region 404", REGION, "registry.contest"
    ),
    "registry:contest-entry-create": Page(
        "operator of the contest's region or admin; read-only 403", REGION, "registry.contest"
    ),
    "registry:contest-entry-edit": Page(
        "operator of its region or admin; read-only 403, out of scope 404", REGION, "registry.contest"
    ),
    "registry:course-list": Page("any signed-in user; courses of the region, completions scoped", STAFF),
    "registry:course-create": Page("operator or admin; others 403", REGION),
    "registry:course-detail": Page(
        "region's users (completions scoped); others 404", TERRITORY, "registry.trainingcourse"
    ),
    "registry:course-edit": Page(
        "operator of its region or admin; read-only 403, other region 404", REGION, "registry.trainingcourse"
    ),
    "registry:course-completion-add": Page(
        "operator of its region or admin; read-only 403, other region 404", REGION, "registry.trainingcourse"
    ),
    "registry:methodist-list": Page("any signed-in user; rows: own school / municipality / region", STAFF),
    "registry:methodist-create": Page("operator or admin; others 403", REGION),
    "registry:methodist-edit": Page(
        "operator of its region or admin; read-only 403, out of scope 404",
        REGION,
        "registry.methodistregistryentry",
    ),
    # the workbook, imports and list exports
    "registry:workbook": Page(
        "any signed-in user but a mentor (template); export for admin and curator; upload admin only",
        STAFF,
        audit=Audit(IMPORT, "registry.importjob", POST),
    ),
    "registry:workbook-template": Page("any signed-in user but a mentor", STAFF, audit=Audit(EXPORT)),
    "registry:workbook-export": Page(
        "admin (any scope) and curator (own school); coordinator and operator 403",
        SCHOOL,
        audit=Audit(EXPORT, "registry.organization"),
    ),
    # the portal's people: accounts, roles and territories (registry.users), the admin only
    "registry:user-list": Page("admin only (every account); others 403", ADMINS, role_first=True),
    "registry:user-invite": Page("admin only; others 403", ADMINS, role_first=True),
    "registry:user-detail": Page(
        "admin only (the account, its e-mail and its history); others 403; unknown account 404",
        ADMINS,
        role_first=True,
        audit=Audit(VIEW, "auth.user"),
    ),
    "registry:user-scope": Page("admin only, never its own account; others 403", ADMINS, role_first=True),
    "registry:user-deactivate": Page(
        "admin only, GET confirms, POST turns off (never itself, never the last admin); others 403",
        ADMINS,
        role_first=True,
    ),
    "registry:user-reactivate": Page("POST, admin only; others 403", ADMINS, post_only=True, role_first=True),
    "registry:user-second-factor-reset": Page(
        "admin only, GET confirms, POST deletes the account's OTP devices; others 403",
        ADMINS,
        role_first=True,
    ),
    "registry:user-invitation-resend": Page(
        "POST, admin only, while the invitation is unused; others 403",
        ADMINS,
        post_only=True,
        role_first=True,
    ),
    "registry:import-job": Page("admin only; others 403", ADMINS, role_first=True),
    "registry:import-job-status": Page("admin only; others 403", ADMINS, role_first=True),
    "registry:import-job-confirm": Page(
        "POST, admin only; others 403",
        ADMINS,
        audit=Audit(IMPORT, "registry.importjob", POST),
        post_only=True,
        role_first=True,
    ),
    "registry:import-job-retry": Page(
        "POST, admin only; others 403",
        ADMINS,
        audit=Audit(IMPORT, "registry.importjob", POST),
        post_only=True,
        role_first=True,
    ),
    # Owner-only: a stranger's 404 is a plain one (the job is not a scoped record).
    "registry:export-job": Page("the export's owner only; anybody else 404"),
    "registry:export-job-status": Page("the export's owner only; anybody else 404"),
    "registry:export-job-download": Page(
        "the export's owner only, once it is ready; anybody else 404 (logged as a download)",
        audit=Audit(DOWNLOAD, "registry.exportjob"),
    ),
    # road maps
    "monitoring:roadmap-list": Page(
        "any signed-in user; rows: the maps of its territory (access.scoped)", STAFF
    ),
    "monitoring:roadmap-create": Page(
        "curator (its school's map), coordinator (its municipality's), operator (its region's), admin "
        "(chooses the owner); a user without a role 403",
        TERRITORY,
    ),
    "monitoring:roadmap-detail": Page(
        "whoever's scope holds the map's owner, admin; others 404", TERRITORY, "monitoring.roadmap"
    ),
    "monitoring:roadmap-calendar": Page(
        "as roadmap-detail: the map's dated events as .ics",
        TERRITORY,
        "monitoring.roadmap",
        audit=Audit(EXPORT, "monitoring.roadmap"),
    ),
    "monitoring:roadmap-edit": Page(
        "the owner's own level (operator: region map, coordinator: municipality map, curator: school map), "
        "admin; read-only in scope 403, out of scope 404",
        TERRITORY,
        "monitoring.roadmap",
    ),
    "monitoring:roadmap-event-create": Page("as roadmap-edit", TERRITORY, "monitoring.roadmap"),
    "monitoring:roadmap-event-edit": Page(
        "as roadmap-edit; an event of another map 404", TERRITORY, "monitoring.roadmap"
    ),
    "monitoring:roadmap-event-status": Page(
        "POST only; as roadmap-edit", TERRITORY, "monitoring.roadmap", post_only=True
    ),
    # monitoring campaigns
    "monitoring:campaign-list": Page(
        "any signed-in user; rows: campaigns_for(user) (a curator: opened campaigns its school answers)",
        STAFF,
    ),
    "monitoring:campaign-create": Page(
        "coordinator (its municipality), operator (its region), admin; others 403", RUNNERS
    ),
    "monitoring:campaign-detail": Page(
        "whoever's scope holds the campaign (access.scoped); others 404", TERRITORY, "monitoring.campaign"
    ),
    "monitoring:campaign-edit": Page(
        "the one who runs it (write rule «manage»), admin; read-only in scope 403, else 404",
        RUNNERS,
        "monitoring.campaign",
    ),
    "monitoring:campaign-transition": Page(
        "POST only; as campaign-edit", RUNNERS, "monitoring.campaign", post_only=True
    ),
    "monitoring:campaign-remind": Page(
        "POST only; write rule «remind»: who runs it or a coordinator in scope; other roles 403, else 404",
        RUNNERS,
        "monitoring.campaign",
        post_only=True,
    ),
    "monitoring:campaign-approval": Page(
        "a municipality of a regional campaign: its coordinator (signs it off, write rule «sign»), the "
        "region's operator (accepts or returns it, «approve»), admin; a curator 403 before any lookup; "
        "a coordinator of another municipality, an operator of another region, a municipal campaign 404",
        RUNNERS,
        "monitoring.campaign",
        role_first=True,
    ),
    "monitoring:submission-detail": Page(
        "the school's curator, coordinator of its municipality, operator of its region, admin; others 404",
        TERRITORY,
        "monitoring.submission",
    ),
    "monitoring:submission-edit": Page(
        "the school's curator (write rule «fill»), admin; read-only in scope 403, else 404",
        SCHOOL,
        "monitoring.submission",
    ),
    "monitoring:submission-review": Page(
        "POST only; coordinator of the school's municipality, operator, admin (write rule «review»); "
        "the curator 403, others 404",
        RUNNERS,
        "monitoring.submission",
        post_only=True,
    ),
    # surveys of participants
    "monitoring:questionnaire-list": Page(
        "any signed-in user; rows: the questionnaires of its region", STAFF
    ),
    "monitoring:questionnaire-create": Page(
        "the region's operator (its own region), admin (chooses the region); others 403", REGION
    ),
    "monitoring:questionnaire-detail": Page(
        "whoever's scope holds the questionnaire's region (read-only but for its operator); others 404",
        TERRITORY,
        "monitoring.questionnaire",
    ),
    "monitoring:questionnaire-edit": Page(
        "the region's operator, admin; readers of the region 403, others 404 (audience and anonymity "
        "frozen once it is used)",
        REGION,
        "monitoring.questionnaire",
    ),
    "monitoring:questionnaire-questions": Page(
        "the region's operator, admin (add, change, reorder, delete questions; refused while a round of it "
        "has answers or is open); readers 403, others 404",
        REGION,
        "monitoring.questionnaire",
    ),
    "monitoring:questionnaire-copy": Page(
        "POST only; the region's operator, admin (a new version); readers 403, others 404",
        REGION,
        "monitoring.questionnaire",
        post_only=True,
    ),
    "monitoring:survey-round-list": Page(
        "any signed-in user; rows: the rounds its scope holds (a curator: those that invited its school)",
        STAFF,
    ),
    "monitoring:survey-round-create": Page(
        "the region's operator, admin (write rule «survey»); others 403", REGION
    ),
    "monitoring:survey-round-detail": Page(
        "whoever's scope holds the round (its region, a covered municipality, an invited school); "
        "figures within the scope; others 404",
        TERRITORY,
        "monitoring.surveyround",
    ),
    "monitoring:survey-round-transition": Page(
        "POST only; the region's operator, admin (write rule «survey»); readers 403, others 404",
        REGION,
        "monitoring.surveyround",
        post_only=True,
    ),
    "monitoring:survey-round-links": Page(
        "the invited school's curator (its own people's links), admin; other readers 403, others 404",
        SCHOOL,
        "monitoring.surveyround",
    ),
    # the public survey page: the token is the only key; the access log never records it
    "survey:answer": Page(
        "everyone, no login, with a live personal link; an unknown link 404, a used or expired one 410",
        public=True,
        statuses=_same(404),
    ),
    "survey:thanks": Page("everyone, no login", public=True),
    # reports
    "reports:list": Page(
        "any user with a territory (no scope 403); rows: reports of the user's scope; POST creates "
        "(operator, coordinator, admin; a curator its school's note only, other kinds 403)",
        TERRITORY,
    ),
    "reports:detail": Page(
        "whoever's scope holds the report (access.scoped), else 404; POST edits the narrative: operator, "
        "coordinator, admin, a curator its school's note; other readers 403",
        TERRITORY,
        "reports.report",
    ),
    "reports:redraft": Page(
        "POST only; as the narrative edit of reports:detail", TERRITORY, "reports.report", post_only=True
    ),
    "reports:publish": Page(
        "GET asks to confirm, POST publishes; operator, coordinator, admin in scope; a curator 403; "
        "out of scope 404",
        RUNNERS,
        "reports.report",
    ),
    "reports:report-file": Page(
        "POST only; any reader of the report (out of scope 404); unknown format 404",
        TERRITORY,
        "reports.report",
        post_only=True,
    ),
    "reports:version": Page(
        "any reader of the report; out of scope or unknown number 404", TERRITORY, "reports.report"
    ),
    "reports:version-file": Page(
        "POST only; any reader of the report; out of scope 404", TERRITORY, "reports.report", post_only=True
    ),
    "reports:file": Page(
        "any reader of the file's report; out of scope 404; reaps stale running files",
        TERRITORY,
        "reports.reportfile",
    ),
    "reports:file-status": Page("as reports:file (JSON)", TERRITORY, "reports.reportfile"),
    "reports:file-download": Page(
        "as reports:file; private, no-store attachment with a Cyrillic filename*",
        TERRITORY,
        "reports.reportfile",
        audit=Audit(DOWNLOAD, "reports.reportfile"),
    ),
    "reports:agreement-docx": Page(
        "whoever reads the pair (its scope; its mentor without the representative's name), else 404; "
        "rendered inline; private, no-store attachment",
        PAIR_READERS,
        "registry.mentorship",
        audit=Audit(DOWNLOAD, "registry.mentorship"),
    ),
    "reports:agreement-pdf": Page(
        "as reports:agreement-docx (PDF through WeasyPrint)",
        PAIR_READERS,
        "registry.mentorship",
        audit=Audit(DOWNLOAD, "registry.mentorship"),
    ),
}

# The Django admin's pages that the access log records by name (its imports and exports are
# recognised by ``mentoring_portal.audit`` from the URL name and the response).
ADMIN_AUDITED: dict[str, Audit] = {
    "admin:registry_person_change": Audit(VIEW, "registry.person"),
}

# URL name → what a request to it records. Lists exported with ?format=xlsx need no entry.
AUDITED: dict[str, Audit] = {
    **{name: page.audit for name, page in PAGES.items() if page.audit is not None},
    **ADMIN_AUDITED,
}
