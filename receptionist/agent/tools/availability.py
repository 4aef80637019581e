"""Finding free times: the type, practitioner, place and window from the caller's words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from pms_adapters.types import Appointment, AppointmentType, Slot, SlotQuery
from receptionist.agent import policy
from receptionist.agent.dates import DateNotUnderstood, DateQuestion
from receptionist.agent.describe import describe_slot
from receptionist.agent.matching import TYPE_SYNONYMS, best_match, fold
from receptionist.agent.session import Outcome
from receptionist.agent.speech import join_words
from receptionist.agent.toolbox import Refusal, Toolbox, ToolResult
from receptionist.agent.tools.arguments import FindAvailability
from receptionist.agent.tools.guards import check_pick, require_patient

OFFERS_PER_SEARCH = 3


def _pick_offers(slots: Sequence[Slot], count: int) -> list[Slot]:
    """A spread of times: the first, then ones at least an hour apart, then the rest."""
    chosen: list[Slot] = []
    for slot in slots:
        if all(abs(slot.starts_at - other.starts_at) >= timedelta(hours=1) for other in chosen):
            chosen.append(slot)
        if len(chosen) == count:
            break
    for slot in slots:
        if len(chosen) == count:
            break
        if slot not in chosen:
            chosen.append(slot)
    return sorted(chosen, key=lambda s: s.starts_at)


async def find_availability(box: Toolbox, args: FindAvailability) -> ToolResult:
    locations, practitioners, types = await box.clinic.reference()
    moving: Appointment | None = None
    if args.appointment:
        require_patient(box)
        moving = box.session.appointments.get(args.appointment)
        if moving is None:
            raise Refusal("Unknown appointment ref. Call list_appointments to get refs.")
        await check_pick(box, args.appointment, moving=True)  # the one the caller named
        box.session.moving = args.appointment
    kind = choose_type(box, types, args.appointment_type, moving)
    practitioner_ids: tuple[str, ...] | None = None
    who = "anyone"
    if args.practitioner and fold(args.practitioner) not in {
        "anyone",
        "any",
        "whoever",
        "no preference",
    }:
        _not_the_caller(box, args.practitioner)
        match = best_match(args.practitioner, practitioners, lambda p: p.name)
        if match.item is None:
            options = join_words([p.name for p in (match.ambiguous or practitioners)])
            raise Refusal(f"Which practitioner? The options are {options}.")
        practitioner_ids = (match.item.id,)
        who = match.item.name
    elif moving is not None and not args.practitioner:
        practitioner_ids = (moving.practitioner_id,)
    location_id = None
    if args.location and len(locations) > 1:
        place = best_match(args.location, locations, lambda loc: loc.name)
        if place.item is None:
            raise Refusal(f"Which location? {join_words([loc.name for loc in locations])}.")
        location_id = place.item.id
    try:
        window = box.clinic.resolver.resolve(args.when)
    except DateQuestion as question:
        raise Refusal(f"Ask the caller: {question.question}") from None
    except DateNotUnderstood:
        raise Refusal(
            "I couldn't work out that day or time. Ask the caller which day and time suit."
        ) from None
    query = SlotQuery(
        appointment_type_id=kind.id,
        starts_after=window.start,
        ends_before=window.end,
        practitioner_ids=practitioner_ids,
        location_id=location_id,
        limit=60,
    )
    slots = await box.clinic.pms.find_slots(query)
    widened = False
    if not slots:
        later = query.model_copy(
            update={
                "starts_after": window.end,
                "ends_before": window.end + timedelta(days=14),
            }
        )
        slots = await box.clinic.pms.find_slots(later)
        widened = True
    if moving is not None:
        slots = [s for s in slots if s.starts_at != moving.starts_at]
    if window.daily is not None:
        earliest, latest = window.daily
        slots = [
            s for s in slots if earliest <= s.starts_at.astimezone(box.clinic.zone).time() < latest
        ]
    if not slots:
        return ToolResult(
            True,
            f"No {kind.name} times with {who} {window.description} or in the two weeks after. "
            "Offer another practitioner or day, or to take a message.",
            {"offers": [], "window": window.description},
        )
    offers = _pick_offers(slots, OFFERS_PER_SEARCH)
    lines = []
    refs = []
    for slot in offers:
        ref = box.session.offer(slot)
        refs.append(ref)
        lines.append(f"{ref}: {await describe_slot(box, slot)}")
    box.session.put_choices(refs)
    box.session.actions.add(Outcome.INFO)
    lead = (
        f"Nothing {window.description}; the nearest after that are: "
        if widened
        else f"Free {window.description}: "
    )
    return ToolResult(
        True,
        lead + "; ".join(lines) + ". Offer these; book only on the caller's choice.",
        {"offers": refs, "widened": widened, "window": window.description},
    )


def _not_the_caller(box: Toolbox, said: str) -> None:
    """A name is the caller's or a practitioner's, never both: "Mia Nguyen" is not Tom Nguyen."""
    own = box.session.patient_name_words()
    words = set(fold(said).split()) - {"dr", "doctor"}
    if own and words and words <= own:
        raise Refusal(
            "That is the caller's own name, not a practitioner's. Ask who they would like to "
            "see, or search with anyone."
        )


def choose_type(
    box: Toolbox,
    types: Sequence[AppointmentType],
    said: str | None,
    moving: Appointment | None,
) -> AppointmentType:
    phone_types = [t for t in types if policy.bookable_by_phone(box.clinic.script, t)]
    if moving is not None and not said:
        for kind in types:
            if kind.id == moving.appointment_type_id:
                return kind
    if not said:
        if len(phone_types) == 1:
            return phone_types[0]
        raise Refusal(
            "Ask which type of appointment: " + join_words([t.name for t in phone_types]) + "."
        )
    match = best_match(said, types, lambda t: t.name, synonyms=TYPE_SYNONYMS)
    if match.item is None:
        options = join_words([t.name for t in (match.ambiguous or phone_types)])
        raise Refusal(f"Which type of appointment? The options are {options}.")
    kind = match.item
    if not policy.bookable_by_phone(box.clinic.script, kind):
        raise Refusal(
            f"{kind.name} can't be booked over the phone. Offer to transfer the caller to "
            "the team or take a message.",
            not_bookable=kind.name,
        )
    if box.session.patient_is_new and not kind.new_patients_allowed:
        firsts = [t.name for t in phone_types if t.new_patients_allowed]
        raise Refusal(
            f"{kind.name} is for existing patients. A new patient books {join_words(firsts)}.",
            new_patient_type=firsts[0] if firsts else None,
        )
    return kind
