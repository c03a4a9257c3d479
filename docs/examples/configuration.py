"""Configure the account and a service: defaults, push notifications, push credentials, an
address that creates conversations, and a user's push bindings."""

from __future__ import annotations

import os
from datetime import timedelta

import conversations_async as ca


async def main(session: ca.Session) -> None:
    # The account: its default service (the Session's own namespaces work in it) and timers.
    account = await session.configuration.update(
        default_inactive_timer=timedelta(hours=1), default_closed_timer=timedelta(days=7)
    )
    assert account.default_chat_service_sid is not None
    service = session.service(account.default_chat_service_sid)

    # The service: reachability on, and a push for each new message.
    await service.configuration.update(reachability_enabled=True)
    await service.notification_configuration.update(
        new_message_enabled=True,
        new_message_template="${PARTICIPANT}: ${MESSAGE}",
        new_message_badge_count_enabled=True,
    )

    # The pushes go out with the account's credentials; their keys are secrets, never echoed.
    android = await session.credentials.create(
        type="fcm",
        friendly_name="Android app",
        secret=os.environ.get("FIREBASE_SERVER_KEY", "firebase-server-key"),
    )
    print(android.sid, android.type)

    # A message to this number that belongs to no conversation now creates one, with a
    # conversation-scoped webhook to the bot.
    line = await session.address_configurations.create(
        type="sms",
        address="+15017122661",
        friendly_name="Support line",
        auto_creation_enabled=True,
        auto_creation_type="webhook",
        auto_creation_webhook_url="https://bot.example.com/twilio/conversations",
        auto_creation_webhook_filters=["onMessageAdded"],
    )
    assert line.auto_creation is not None
    print(line.sid, line.auto_creation.type)

    # A user signs out of every Android device: delete their FCM bindings.
    async for binding in service.bindings.list(binding_type=["fcm"], identity=["alice"]):
        await service.bindings.delete(binding.sid)

    # Undo it all again, so that the example can run anywhere.
    await session.address_configurations.delete(line.address or line.sid)
    await session.credentials.delete(android.sid)
