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
        # Twilio answers its generic 20404 here (a 50350 "Conversation not found" is also
        # plausible): branch on the status, or on NotFoundError, not on the code.
        print(error.status, error.code)  # 404 20404
        print(error)  # HTTP 404 (Twilio code 20404): The requested resource … was not found
    except ca.ConversationsError:
        raise  # every error of the library derives from ConversationsError
    else:
        raise RuntimeError("expected the conversation to be unknown")
