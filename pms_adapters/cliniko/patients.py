"""Finding and registering patients in Cliniko.

Cliniko filters patients by name and date of birth (`q[]`), not by phone. So:

- with a date of birth, one `date_of_birth:=` search, then the rest is checked here;
- with a name, `last_name:~` and `first_name:~` searches on the caller's words, and, if those
  find no one, searches on each word's first two letters (`~~Xy%`), so an accent or a small
  misspelling still finds the record; names are then compared here, case- and accent-folded,
  with the diary's tolerance (one edit up to six letters, two beyond, exact up to three);
- with only a phone, a phone index: every patient read once (100 per request), then kept up to
  date with `updated_at:>=` polls. Numbers on both sides are normalised to E.164 with the
  business's country as the default region.

Registering is made idempotent here (Cliniko has none): keys seen map to their patient, and
before creating (and after a failed create) we look for an identical record (same names, birth
date, phones and email): a retry after a lost answer or a restart finds it instead of making a
second patient.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio

from diary.patients import fold, has_letters
from diary.patients import spoken_name_distance as name_distance
from pms_adapters.cliniko import mapping
from pms_adapters.cliniko.client import ClinikoClient, ClinikoFailed, Params
from pms_adapters.cliniko.keys import KeyMemory
from pms_adapters.errors import InvalidRequest, NotFound, PMSUnavailable, WriteOutcomeUnknown
from pms_adapters.types import NewPatient, Patient, PatientQuery

_WORD_EDGES = re.compile(r"^[^\w]+|[^\w]+$")
_PAGES = 3  # per name search; 300 candidates is plenty for a caller's name
_INDEX_REFRESH_SECONDS = 5.0


@dataclass
class _PhoneIndex:
    """Every patient's E.164 numbers, read once and then polled for changes."""

    patients: dict[str, Patient]
    high_water: str | None = None  # the latest updated_at seen
    refreshed_at: float = 0.0


class Patients:
    """Patient search and registration over one Cliniko account."""

    def __init__(
        self, client: ClinikoClient, region: Callable[[], Awaitable[str]], settle: float
    ) -> None:
        self._client = client
        self._region = region  # async: the default region for reading numbers
        self._settle = settle
        self._keys = KeyMemory()
        self._index: _PhoneIndex | None = None
        self._index_lock: anyio.Lock | None = None

    async def record(self, patient_id: str) -> dict[str, Any]:
        """The patient's raw record; NotFound for an id Cliniko does not know."""
        if not mapping.is_cliniko_id(patient_id):
            raise NotFound(f"patient {patient_id[:64]!r} not found")
        data = await self._client.get(f"/patients/{patient_id}")
        if not isinstance(data, dict):
            raise NotFound(f"patient {patient_id} not found")
        return data

    async def get(self, patient_id: str) -> Patient:
        """The patient, mapped."""
        return mapping.patient(await self.record(patient_id), await self._region())

    # -- search -------------------------------------------------------------------------------

    async def find(self, query: PatientQuery) -> list[Patient]:
        """Patients matching every criterion given, closest name first (at most 10)."""
        region = await self._region()
        phone = None
        if query.phone is not None:
            phone = mapping.normalise_phone(query.phone, region)
            if phone is None:
                raise InvalidRequest("that is not a phone number")
        name = query.name if query.name and has_letters(query.name) else None
        if query.date_of_birth is not None:
            rows = await self._search([f"date_of_birth:={query.date_of_birth.isoformat()}"])
            candidates = [mapping.patient(r, region) for r in rows]
        elif name is not None:
            candidates = await self._by_name(name, region)
        elif phone is not None:
            candidates = await self._by_phone(phone, region)
        else:
            return []
        best: dict[str, tuple[int, Patient]] = {}
        for patient in candidates:
            if query.date_of_birth is not None and patient.date_of_birth != query.date_of_birth:
                continue
            if phone is not None and phone not in patient.phones:
                continue
            distance = 0
            if name is not None:
                found = name_distance(name, patient.first_name, patient.last_name)
                if found is None:
                    continue
                distance = found
            if patient.id not in best or distance < best[patient.id][0]:
                best[patient.id] = (distance, patient)
        ranked = sorted(best.values(), key=lambda r: (r[0], int(r[1].id)))
        return [patient for _, patient in ranked[:10]]

    async def _search(self, filters: list[str], pages: int = _PAGES) -> list[dict[str, Any]]:
        params: Params = [("q[]", f) for f in filters]
        return await self._client.pages("/patients", "patients", params, max_pages=pages)

    async def _by_name(self, name: str, region: str) -> list[Patient]:
        words = [_WORD_EDGES.sub("", w) for w in name.split()]
        words = [w for w in words if has_letters(w)]
        rows: list[dict[str, Any]] = []
        for field, word in (("last_name", words[-1]), ("first_name", words[0])):
            rows += await self._search([f"{field}:~{word}"])
        matches = [r for r in rows if name_distance(name, *_names(r)) is not None]
        if not matches:
            prefixes = dict.fromkeys(fold(w)[:2] for w in words if len(fold(w)) >= 2)
            for prefix in prefixes:
                for field in ("last_name", "first_name"):
                    rows += await self._search([f"{field}:~~{prefix}%"])
        return [mapping.patient(r, region) for r in rows]

    async def _by_phone(self, phone: str, region: str) -> list[Patient]:
        index = await self._phone_index(region)
        return [p for p in index.patients.values() if phone in p.phones]

    async def _phone_index(self, region: str) -> _PhoneIndex:
        if self._index_lock is None:
            self._index_lock = anyio.Lock()
        async with self._index_lock:
            index = self._index
            if index is not None and time.monotonic() - index.refreshed_at < _INDEX_REFRESH_SECONDS:
                return index
            params: Params = [("sort", "updated_at")]
            if index is not None and index.high_water:
                params.append(("q[]", f"updated_at:>={index.high_water}"))
            rows = await self._client.pages("/patients", "patients", params, max_pages=10_000)
            index = index or _PhoneIndex({})
            for row in rows:
                patient = mapping.patient(row, region)
                index.patients[patient.id] = patient
                stamp = row.get("updated_at")
                if isinstance(stamp, str) and (
                    index.high_water is None or stamp > index.high_water
                ):
                    index.high_water = stamp
            index.refreshed_at = time.monotonic()
            self._index = index
            return index

    # -- registration ------------------------------------------------------------------------------

    async def create(self, new: NewPatient, key: str) -> Patient:
        """Register a patient; the same key (or a retry that finds the identical record)
        returns the same patient, never a second one."""
        region = await self._region()
        phones = []
        for raw in new.phones:
            e164 = mapping.normalise_phone(raw, region)
            if e164 is None:
                raise InvalidRequest("a phone number given for the patient is not one")
            phones.append(e164)
        if not has_letters(new.first_name) or not has_letters(new.last_name):
            raise InvalidRequest("a patient needs a first and a last name")
        KeyMemory.check_key(key)
        async with self._keys.lock(key):
            seen = self._keys.check(key, new)
            if seen is not None:
                return await self.get(seen)
            try:
                patient = await self._create_once(new, tuple(phones), region)
            except WriteOutcomeUnknown:
                self._keys.remember(key, new, None)
                raise
            self._keys.remember(key, new, patient.id)
            if self._index is not None:
                self._index.patients[patient.id] = patient
            return patient

    async def _create_once(self, new: NewPatient, phones: tuple[str, ...], region: str) -> Patient:
        existing = await self._identical(new, phones, region)
        if existing is not None:
            return existing
        body: dict[str, Any] = {
            "first_name": new.first_name.strip(),
            "last_name": new.last_name.strip(),
            "patient_phone_numbers": [{"phone_type": "Mobile", "number": p} for p in phones],
        }
        if new.date_of_birth is not None:
            body["date_of_birth"] = new.date_of_birth.isoformat()
        if new.email:
            body["email"] = new.email
        for _attempt in range(2):
            try:
                return mapping.patient(await self._client.post("/patients", body), region)
            except ClinikoFailed:
                await anyio.sleep(self._settle)
                try:
                    existing = await self._identical(new, phones, region)
                except PMSUnavailable as exc:
                    raise WriteOutcomeUnknown(
                        "registering the patient failed and checking whether it landed failed"
                        " too; retry with the same idempotency key"
                    ) from exc
                if existing is not None:
                    return existing
        raise WriteOutcomeUnknown(
            "Cliniko did not confirm the new patient; retry with the same idempotency key"
        )

    async def _identical(
        self, new: NewPatient, phones: tuple[str, ...], region: str
    ) -> Patient | None:
        """A record with exactly these names, birth date, phones (at least) and email."""
        filters = [f"last_name:={new.last_name.strip()}"]
        if new.date_of_birth is not None:
            filters.append(f"date_of_birth:={new.date_of_birth.isoformat()}")
        for row in await self._search(filters):
            found = mapping.patient(row, region)
            if (
                fold(found.first_name) == fold(new.first_name)
                and fold(found.last_name) == fold(new.last_name)
                and found.date_of_birth == new.date_of_birth
                and set(phones) <= set(found.phones)
                and (not new.email or (found.email or "").casefold() == new.email.casefold())
            ):
                return found
        return None


def _names(row: dict[str, Any]) -> tuple[str, str]:
    return str(row.get("first_name") or ""), str(row.get("last_name") or "")
