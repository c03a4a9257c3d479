"""The same operations inside one Conversation Service (``/v1/Services/IS…``)."""

from __future__ import annotations

import conversations_async as ca

SERVICE_SID = "IS" + "0" * 32  # your Conversation Service's SID


async def main(session: ca.Session, service_sid: str = SERVICE_SID) -> None:
    service = session.service(service_sid)

    conversation = await service.conversations.create_with_participants(
        [
            {"identity": "alice", "attributes": {"role": "agent"}},
            {
                "messaging_binding_address": "+15558675310",
                "messaging_binding_proxy_address": "+15017122661",
            },
        ],
        friendly_name="Support",
    )
    assert conversation.chat_service_sid == service_sid

    async for participant in service.participants.list(conversation.sid):
        assert participant.chat_service_sid == service_sid
        print(participant.sid, participant.identity)

    await service.participants.update(conversation.sid, "alice", attributes={"role": "lead"})
    await service.conversations.delete(conversation.sid)
