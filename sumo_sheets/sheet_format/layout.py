"""The sheet's layout: tab names, column headers, Settings names, and what a new sheet holds."""

from __future__ import annotations

from ..model import Role
from ..tabs import TabSpec

SIGNUPS = "Signups"
SCHEDULE = "Schedule"
SETTINGS = "Settings"
FINDINGS = "Findings"

# Signups columns. The site writes new rows with all of them and afterwards changes only
# Status; everything else in a row belongs to the coordinators.
ID = "ID"
NAME = "Name"
CONTACT = "Contact"
ROLE = "Role"
DATE = "Date"
START_UTC = "Start (UTC)"
END_UTC = "End (UTC)"
STATUS = "Status"
SIGNED_UP_AT = "Signed up at (UTC)"
NOTES = "Notes"
# The form submission a row came from (its idempotency key); blank on hand-typed rows.
REQUEST_ID = "Request ID"
# The volunteer's own time zone (IANA name), so their emails show their local times.
VOLUNTEER_ZONE = "Volunteer time zone"
SIGNUP_HEADERS = (
    ID,
    NAME,
    CONTACT,
    ROLE,
    DATE,
    START_UTC,
    END_UTC,
    STATUS,
    SIGNED_UP_AT,
    NOTES,
    REQUEST_ID,
    VOLUNTEER_ZONE,
)

CONFIRMED = "confirmed"
CANCELLED = "cancelled"

# Schedule columns.
DAY = "Day"
START = "Start"
END = "End"
WANTED = {
    Role.HELPER: "Helpers wanted",
    Role.ADVISOR: "Advisors wanted",
    Role.MONITOR: "Room monitors wanted",
}
SCHEDULE_HEADERS = (DAY, START, END, *WANTED.values())

# Settings rows (name -> value) and their defaults as written on a new sheet.
SETTING = "Setting"
VALUE = "Value"
ABOUT = "About"
SETTINGS_HEADERS = (SETTING, VALUE, ABOUT)
TIME_ZONE = "Time zone"
MAXIMUM = {
    Role.HELPER: "Most helpers an hour",
    Role.ADVISOR: "Most advisors an hour",
    Role.MONITOR: "Most room monitors an hour",
}
WEEKS_OPEN = "Weeks open for signup"

# Findings tab: what room monitors (or anyone on shift) noticed, for coordinators to read.
LOGGED_AT = "Logged at (UTC)"
TIME_UTC = "Time (UTC)"
SEEN = "What was seen"
ADVICE = "Advice given"
LINK = "Link"
FINDING_HEADERS = (ID, LOGGED_AT, DATE, TIME_UTC, NAME, CONTACT, SEEN, ADVICE, LINK, REQUEST_ID)

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

DEFAULT_SCHEDULE = tuple(
    (day, start, end, helpers, "1", "1")
    for day in DAYS[:5]
    for start, end, helpers in (("14:00", "16:00", "2"), ("16:00", "19:00", "3"))
) + (("Saturday", "15:00", "17:00", "2", "1", "1"),)

DEFAULT_SETTINGS = (
    (TIME_ZONE, "UTC", "IANA name, e.g. America/Los_Angeles. Schedule hours are in this zone."),
    (MAXIMUM[Role.HELPER], "", "Blank for no maximum."),
    (MAXIMUM[Role.ADVISOR], "", "Blank for no maximum."),
    (MAXIMUM[Role.MONITOR], "2", "Blank for no maximum."),
    (WEEKS_OPEN, "8", "How far ahead volunteers can sign up."),
)

ROLE_CHOICES = tuple(role.label for role in Role)
STATUS_CHOICES = (CONFIRMED, CANCELLED)

TAB_SPECS = (
    TabSpec(
        SIGNUPS,
        SIGNUP_HEADERS,
        choices={ROLE: ROLE_CHOICES, STATUS: STATUS_CHOICES},
    ),
    TabSpec(SCHEDULE, SCHEDULE_HEADERS, seed_rows=DEFAULT_SCHEDULE),
    TabSpec(SETTINGS, SETTINGS_HEADERS, seed_rows=DEFAULT_SETTINGS),
    TabSpec(FINDINGS, FINDING_HEADERS),
)
# The tabs a schedule page needs, read together in one request.
TAB_TITLES = (SIGNUPS, SCHEDULE, SETTINGS)
