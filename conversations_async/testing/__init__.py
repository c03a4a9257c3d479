"""Test your code against a real local server: the Conversations emulator.

Twilio's test credentials do not cover Conversations, so this package ships an emulator with
Twilio's shapes, rules and error codes, and faults you can turn on::

    from conversations_async.testing import Emulator, Faults

    async with Emulator(faults=Faults(max_in_flight=20)) as emulator:
        async with emulator.session() as session:
            ...

With pytest, the ``emulator`` and ``emulator_session`` fixtures are available once
conversations_async is installed (see :mod:`conversations_async.testing.pytest_plugin`).
"""

from ._app import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, Emulator
from ._faults import Faults
from ._probes import Counters, RecordedRequest
from ._routes import Route, per_conversation, per_service
from ._state import Form, Limits, Store, TwilioError
from ._validation import RefusedRequest, RequestValidator

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "Counters",
    "Emulator",
    "Faults",
    "Form",
    "Limits",
    "RecordedRequest",
    "RefusedRequest",
    "RequestValidator",
    "Route",
    "Store",
    "TwilioError",
    "per_conversation",
    "per_service",
]
