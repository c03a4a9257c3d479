"""What the emulator plays for push notifications beyond the REST API: a client SDK's device
registration (a binding), which Twilio has no REST create for."""

from __future__ import annotations

from typing import Any

from ._state import JSONDict, Store
from ._state.bindings import register


class PushRegistrations:
    """The :class:`~conversations_async.testing.Emulator`'s push test helpers."""

    store: Store

    def register_binding(
        self,
        service: str | None,
        identity: str,
        binding_type: str,
        credential_sid: str | None = None,
        **options: Any,
    ) -> JSONDict:
        """Play a client SDK registering ``identity``'s device for pushes: a binding of
        ``binding_type`` (``apn``, ``fcm``, ``gcm`` with an existing credential of that type;
        ``twilsock`` without) in ``service`` (None: the default one). ``endpoint=`` (the same
        endpoint again replaces its binding) and ``message_types=`` may be given. Returns the
        binding's JSON; raises the emulator's
        :class:`~conversations_async.testing.TwilioError` for a missing or mismatched
        credential."""
        return register(self.store, service, identity, binding_type, credential_sid, **options)
