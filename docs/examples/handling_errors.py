"""Handling errors: bad input fails before sending; Twilio's answers become typed errors."""

from __future__ import annotations

import conversations_async as ca


async def main(session: ca.Session) -> None:
    try:
        await session.participants.create("CH" + "0" * 32, identity="x", role_sid="not-a-role")
    except ca.InvalidArgumentError as error:
        print(error.field)  # role_sid: nothing was sent
    else:
        raise RuntimeError("expected the role SID to be refused")

    try:
        await session.participants.create("CH" + "0" * 32, identity="x")
    except ca.NotFoundError as error:
        print(error.status, error.code)  # 404 50350
        print(error)  # HTTP 404 (Twilio code 50350): Conversation not found [https://…/50350]
    except ca.ConversationsError:
        raise  # every error of the library derives from ConversationsError
    else:
        raise RuntimeError("expected the conversation to be unknown")
