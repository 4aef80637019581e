"""The front desk's tools: clinic information, a transfer, a message, the end of the call."""

from __future__ import annotations

from receptionist.agent import policy
from receptionist.agent.session import Outcome, TakenMessage
from receptionist.agent.toolbox import Refusal, Toolbox, ToolResult
from receptionist.agent.tools.arguments import ClinicInfo, EndCall, TakeMessage, TransferToHuman


async def clinic_info(box: Toolbox, args: ClinicInfo) -> ToolResult:
    box.session.actions.add(Outcome.INFO)
    return ToolResult(True, policy.clinic_info(box.clinic, args.topic))


async def transfer_to_human(box: Toolbox, args: TransferToHuman) -> ToolResult:
    refusal = policy.transfer_refusal(box.clinic)
    if refusal:
        raise Refusal(refusal)
    box.session.transfer_reason = args.reason
    box.session.actions.add(Outcome.TRANSFERRED)
    return ToolResult(
        True,
        "Transferring. Tell the caller you are putting them through now.",
        {"transfer": True},
    )


async def take_message(box: Toolbox, args: TakeMessage) -> ToolResult:
    session = box.session
    message = TakenMessage(
        caller_name=args.caller_name,
        callback_number=args.callback_number or session.caller_number,
        text=args.message,
        at=box.clinic.now(),
        patient_id=session.patient.id if session.patient else None,
    )
    if message.callback_number is None:
        raise Refusal("Ask for a number the clinic can call back on.")
    session.messages.append(message)
    if box.clinic.message_sink is not None:
        await box.clinic.message_sink(session, message)
    session.actions.add(Outcome.MESSAGE)
    if args.voicemail:
        session.voicemail_requested = True
        return ToolResult(
            True,
            "Noted. Tell the caller they can record their message after the tone.",
            {"message": len(session.messages), "voicemail": True},
        )
    return ToolResult(
        True,
        "Message taken. Tell the caller the team will call them back.",
        {"message": len(session.messages)},
    )


async def end_call(box: Toolbox, args: EndCall) -> ToolResult:
    box.session.end_requested = True
    return ToolResult(True, "Say a short goodbye; the call will end.", {"end": True})
