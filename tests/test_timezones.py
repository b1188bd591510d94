"""Times as viewers read them (sumo_sheets.timezones), and forms that keep their own rules."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from sumo_sheets import timezones
from sumo_sheets.forms import SignupForm

BERLIN = ZoneInfo("Europe/Berlin")
MOMENT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def test_a_moment_is_shown_in_the_viewers_zone_with_utc_beside():
    assert timezones.when(MOMENT, BERLIN) == "Mon 30 Nov 15:00 (14:00 UTC)"
    assert timezones.when(MOMENT, timezones.UTC_ZONE) == "Mon 30 Nov 14:00 UTC"
    assert timezones.hour_label(MOMENT, BERLIN) == "15:00–16:00 (14:00 UTC)"
    assert timezones.formatter(BERLIN)(MOMENT) == timezones.when(MOMENT, BERLIN)


def test_a_chosen_zone_must_be_a_zone_name_and_a_remembered_one_falls_back_to_utc():
    assert timezones.chosen_zone("Europe/Berlin") == BERLIN
    assert timezones.chosen_zone("") is None
    with pytest.raises(timezones.UnknownZone):
        timezones.chosen_zone("../etc/passwd")
    assert timezones.chosen_zone("Nowhere/Else", strict=False) is None
    assert timezones.remembered_zone("Europe%2FBerlin") == BERLIN
    assert timezones.remembered_zone("garbage") == timezones.UTC_ZONE


def test_a_refusal_is_described_in_the_viewers_zone_when_it_can_be():
    class Timed(Exception):
        message = "Starts 14:00 UTC."

        def describe(self, format_time):
            return f"Starts {format_time(MOMENT)}."

    class Untimed(Exception):
        message = "No room."

    assert timezones.describe(Timed(), BERLIN) == "Starts Mon 30 Nov 15:00 (14:00 UTC)."
    # A refusal without describe() is shown as its message, else as its text.
    assert timezones.describe(Untimed(), BERLIN) == "No room."
    assert timezones.describe(ValueError("Too late."), BERLIN) == "Too late."


def test_each_signup_form_has_its_own_range_of_weeks(app):
    with app.test_request_context("/signup"):
        short, long = SignupForm(most_weeks=4), SignupForm(most_weeks=12)
        assert [v.max for v in short.repeat_weeks.validators[1:]] == [4]
        assert [v.max for v in long.repeat_weeks.validators[1:]] == [12]
        assert SignupForm().repeat_weeks.validators[1].max == 52


def test_a_city_name_is_a_zone_and_a_wrong_name_gets_the_nearest_zone_suggested():
    assert timezones.parse_zone("Berlin") == BERLIN
    assert timezones.parse_zone("berlin") == BERLIN
    assert timezones.parse_zone("los angeles").key == "America/Los_Angeles"
    assert timezones.parse_zone("TOKYO").key == "Asia/Tokyo"
    assert timezones.parse_zone("europe/berlin") == BERLIN
    assert timezones.parse_zone("Buenos Aires").key == "America/Argentina/Buenos_Aires"
    with pytest.raises(timezones.UnknownZone, match="did you mean Europe/Berlin"):
        timezones.parse_zone("Berlinn")
    with pytest.raises(timezones.UnknownZone, match="such as Europe/Berlin"):
        timezones.parse_zone("Nowhere at all")


def test_the_selector_lists_canonical_places_by_region_with_their_current_offset():
    names = timezones.zone_names()
    assert names[0] == "UTC" and "Europe/Berlin" in names and "Asia/Kolkata" in names
    assert not [name for name in names if name.startswith(("US/", "Etc/"))]
    assert "Asia/Calcutta" not in names  # an alias of Asia/Kolkata
    regions = [region for region, _ in timezones.zone_groups()]
    assert regions[:3] == ["UTC", "Africa", "America"]
    winter, summer = MOMENT, datetime(2026, 7, 1, tzinfo=UTC)
    assert timezones.zone_label("Europe/Berlin", winter) == "Berlin (UTC+01:00)"
    assert timezones.zone_label("Europe/Berlin", summer) == "Berlin (UTC+02:00)"
    assert timezones.zone_label("America/Los_Angeles", winter) == "Los Angeles (UTC-08:00)"
    assert timezones.zone_label("Asia/Kathmandu", winter) == "Kathmandu (UTC+05:45)"
    assert timezones.zone_label("UTC", winter) == "UTC"


def test_a_chosen_zone_is_remembered_before_the_browsers():
    assert timezones.remembered_zone("Europe/Berlin", "Asia%2FTokyo") == BERLIN
    assert timezones.remembered_zone(None, "Europe%2FBerlin") == BERLIN
    assert timezones.remembered_zone("garbage", None) == timezones.UTC_ZONE
