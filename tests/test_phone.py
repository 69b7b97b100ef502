"""One phone-number form, and the numbers Switchboard never dials."""
from __future__ import annotations

import pytest

from core import phone


@pytest.mark.parametrize("raw", ["202-555-0105", "(202) 555-0105", "+1 202 555 0105", "+12025550105",
                                 "1-202-555-0105", " +1 (202) 555-0105 "])
def test_every_way_of_writing_a_number_has_one_form(raw: str) -> None:
    assert phone.normalise(raw, "US") == "+12025550105"


def test_the_region_decides_numbers_without_a_country_code() -> None:
    assert phone.normalise("020 7946 0958", "GB") == "+442079460958"
    assert phone.normalise("+44 20 7946 0958", "US") == "+442079460958"


@pytest.mark.parametrize("raw", ["911", "112", "999", "000", "110", "119", "+1 911", "+44 999", "1-1-2"])
def test_emergency_numbers_of_every_region_are_named_as_such(raw: str) -> None:
    with pytest.raises(phone.PhoneError) as err:
        phone.callable_number(raw, "US")
    assert "is an emergency number; Switchboard never calls emergency services" in str(err.value)


def test_a_number_that_would_connect_to_emergency_services_is_refused() -> None:
    with pytest.raises(phone.PhoneError, match="would connect to emergency services"):
        phone.normalise("911 555 1234", "US")


def test_911_is_refused_in_words_the_operator_reads() -> None:
    with pytest.raises(phone.PhoneError) as err:
        phone.callable_number("911", "US")
    assert str(err.value) == "911 is an emergency number; Switchboard never calls emergency services."


@pytest.mark.parametrize("raw", ["411", "611"])
def test_short_codes_are_refused(raw: str) -> None:
    with pytest.raises(phone.PhoneError, match="short code"):
        phone.callable_number(raw, "US")


@pytest.mark.parametrize("raw", ["+1 900 555 0123", "1-900-555-0123", "+44 909 879 0000"])
def test_premium_rate_numbers_are_refused(raw: str) -> None:
    with pytest.raises(phone.PhoneError, match="premium-rate number"):
        phone.callable_number(raw, "US")
    assert phone.refusal(phone.normalise(raw, "US"))


@pytest.mark.parametrize("raw, words", [("garbage!!", "is not a phone number"), ("", "empty"),
                                        ("+1 202 555", "not a valid phone number")])
def test_what_is_not_a_number_says_so(raw: str, words: str) -> None:
    with pytest.raises(phone.PhoneError, match=words):
        phone.normalise(raw, "US")


def test_ordinary_numbers_are_callable() -> None:
    for raw in ("+12025550101", "+442079460958", "+33153456789", "+4930123456"):
        assert phone.refusal(raw) is None
        assert phone.callable_number(raw, "US") == raw
