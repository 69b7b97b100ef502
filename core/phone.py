"""The one phone-number normaliser, and the numbers no one may dial.

Every number (the assistant's tool, the schedule form, the config's
do-not-call list, the contact directory, the engine's gate) goes through
``normalise`` before it is stored or compared, so one person has one form:
E.164. ``refusal`` says why a number must never be dialled: emergency
services (any region's emergency codes, and anything that would connect to
them), short codes and premium-rate numbers — from phonenumbers' data, not a
hand list."""
from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneNumberType, shortnumberinfo
from phonenumbers.phonemetadata import PhoneMetadata

EMERGENCY = "is an emergency number; Switchboard never calls emergency services"


class PhoneError(ValueError):
    """A number that cannot be stored or dialled; the message is fit for the user."""


@lru_cache(maxsize=None)
def _longest_emergency_number(regions: tuple[str, ...]) -> int:
    """The most digits an emergency number of ``regions`` has (phonenumbers'
    data); each region's data is loaded on first use, so a number's own
    country costs a few regions, not all of them."""
    lengths = [0]
    for region in regions:
        meta = PhoneMetadata.short_metadata_for_region(region)
        desc = meta.emergency if meta is not None else None
        if desc is not None and desc.national_number_pattern:
            lengths.extend(desc.possible_length or ())
            lengths.append(len(desc.example_number or ""))
    return max(lengths)


@lru_cache(maxsize=1)
def _every_region() -> tuple[str, ...]:
    return tuple(sorted(shortnumberinfo.SUPPORTED_SHORT_REGIONS))


def _emergency_regions(digits: str) -> list[str]:
    """Regions where ``digits`` (as dialled, no "+") is exactly an emergency number."""
    if len(digits) > _longest_emergency_number(_every_region()):  # an exact match needs no longer look
        return []
    return [r for r in _every_region() if shortnumberinfo.is_emergency_number(digits, r)]


def _is_emergency(number: phonenumbers.PhoneNumber) -> bool:
    nsn = phonenumbers.national_significant_number(number)
    regions = tuple(phonenumbers.region_codes_for_country_code(number.country_code))
    return len(nsn) <= _longest_emergency_number(regions) and any(
        shortnumberinfo.is_emergency_number(nsn, r) for r in regions)


def normalise(raw: str, region: str | None) -> str:
    """Any human-written number -> E.164 (``region`` for numbers written
    without a country code), or PhoneError saying what is wrong."""
    number, _ = _parse(raw, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse(raw: str, region: str | None) -> tuple[phonenumbers.PhoneNumber, int]:
    """``normalise`` up to the parsed, valid, non-emergency number, with its
    type (``number_type`` is UNKNOWN exactly when ``is_valid_number`` is false,
    and one call of it is half the cost of both)."""
    text = " ".join(str(raw).split())
    if not text:
        raise PhoneError("The phone number is empty.")
    if not text.startswith("+"):
        dialled = "".join(ch for ch in text if ch.isdigit())
        if dialled and _emergency_regions(dialled):
            raise PhoneError(f"{text} {EMERGENCY}.")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise PhoneError(f"{text!r} is not a phone number; write it in E.164 form, e.g. +14155550123") from None
    if _is_emergency(number):
        raise PhoneError(f"{text} {EMERGENCY}.")
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN:
        if not text.startswith("+") and region and shortnumberinfo.connects_to_emergency_number(text, region):
            raise PhoneError(f"{text} would connect to emergency services when dialled in {region}; "
                             "Switchboard never calls emergency services.")
        # short codes are dialled locally, never with a country code
        if not text.startswith("+") and shortnumberinfo.is_valid_short_number(number):
            raise PhoneError(f"{text} is a short code (a carrier or service number); "
                             "Switchboard only calls full phone numbers.")
        raise PhoneError(f"{text!r} is not a valid phone number")
    return number, kind


def refusal(e164: str) -> str | None:
    """Why this (normalised) number must never be dialled, or None."""
    try:
        _, kind = _parse(e164, None)
    except PhoneError as e:
        return str(e)
    return _premium(kind, e164)


def _premium(kind: int, e164: str) -> str | None:
    if kind == PhoneNumberType.PREMIUM_RATE:
        return f"{e164} is a premium-rate number; Switchboard never calls premium-rate numbers."
    return None


def callable_number(raw: str, region: str | None) -> str:
    """``normalise``, then refuse what must never be dialled (the number is
    parsed once: a list of 100,000 is checked with this)."""
    number, kind = _parse(raw, region)
    phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    reason = _premium(kind, phone)
    if reason:
        raise PhoneError(reason)
    return phone
