"""The emulator's state and Twilio's rules, with no I/O: records are kept as Twilio's JSON.

Each operation either returns the JSON to answer or raises :class:`TwilioError` with the status,
Twilio code and message the real API would give (API-FACTS.md section 3).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

import attrs

JSONDict = dict[str, Any]

ROLE_SID: Final = re.compile(r"^RL[0-9a-fA-F]{32}$")
SERVICE_SID: Final = re.compile(r"^IS[0-9a-fA-F]{32}$")
MESSAGING_SERVICE_SID: Final = re.compile(r"^MG[0-9a-fA-F]{32}$")
CONVERSATION_SID_LIKE: Final = re.compile(r"^CH[0-9a-fA-F]{32}$")
STATES: Final = ("initializing", "inactive", "active", "closed")
MAX_PARTICIPANT_ATTRIBUTES: Final = 4 * 1024
MAX_CONVERSATION_ATTRIBUTES: Final = 16 * 1024


class TwilioError(Exception):
    """An error answer, shaped like Twilio's: ``{code, message, more_info, status}``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{status} {code} {message}")

    def body(self) -> JSONDict:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def invalid(field: str, why: str, code: int = 20001) -> TwilioError:
    return TwilioError(400, code, f"Invalid parameter {field}: {why}")


def format_date(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(field: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(field, f"{value!r} is not an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_attributes(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    try:
        json.loads(value)
    except ValueError:
        raise invalid("Attributes", "must contain structurally valid JSON", 50304) from None
    if len(value.encode()) > limit:
        raise invalid("Attributes", f"longer than {limit} bytes", 50303)
    return value


def check_length(field: str, value: str | None, limit: int = 256) -> None:
    if value is not None and len(value) > limit:
        raise invalid(field, f"limited to {limit} characters")


def check_pattern(field: str, value: str | None, pattern: re.Pattern[str]) -> None:
    if value is not None and not pattern.fullmatch(value):
        raise invalid(field, f"must match {pattern.pattern}")


@attrs.define(kw_only=True)
class Limits:
    """Per-conversation participant limits (API-FACTS.md 4.2)."""

    participants_per_conversation: int = 1000
    non_chat_per_conversation: int = 50


@attrs.define
class ConversationEntry:
    record: JSONDict
    participants: dict[str, JSONDict] = attrs.field(factory=dict)
    """Participant SID -> record, in creation order (dicts keep insertion order)."""
    by_identity: dict[str, str] = attrs.field(factory=dict)
    by_binding: dict[tuple[str, str | None], str] = attrs.field(factory=dict)
    """(address, proxy address or None) -> participant SID."""


class Store:
    """Every conversation and participant of one emulated account."""

    def __init__(
        self, *, account_sid: str, root: str = "", seed: int = 0, limits: Limits | None = None
    ) -> None:
        self.account_sid = account_sid
        self.root = root
        self.limits = limits or Limits()
        self._rng = random.Random(seed)
        self.default_service = self.new_sid("IS")
        self.conversations: dict[str, ConversationEntry] = {}
        self._unique_names: dict[tuple[str, str], str] = {}
        # (address, proxy) pairs bound to a non-closed conversation: global, as Twilio routes on them.
        self._bindings: dict[tuple[str, str], str] = {}
        self.participants_created = 0

    def new_sid(self, prefix: str) -> str:
        return f"{prefix}{self._rng.getrandbits(128):032x}"

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def _scope_prefix(self, service: str | None) -> str:
        return f"{self.root}/v1" + (f"/Services/{service}" if service else "")

    # -- conversations ------------------------------------------------------------------------

    def create_conversation(self, service: str | None, form: Mapping[str, str]) -> JSONDict:
        service_sid = service or self.default_service
        friendly_name = form.get("FriendlyName")
        unique_name = form.get("UniqueName")
        check_length("FriendlyName", friendly_name)
        if unique_name is not None:
            check_length("UniqueName", unique_name)
            if CONVERSATION_SID_LIKE.fullmatch(unique_name):
                raise invalid("UniqueName", "must not match the conversation SID pattern", 50390)
            if (service_sid, unique_name) in self._unique_names:
                raise TwilioError(
                    409, 50353, "Conversation with provided unique name already exists"
                )
        check_pattern("MessagingServiceSid", form.get("MessagingServiceSid"), MESSAGING_SERVICE_SID)
        state = form.get("State", "active")
        if state not in STATES:
            raise invalid("State", f"must be one of {', '.join(STATES)}")
        attributes = check_attributes(form.get("Attributes"), MAX_CONVERSATION_ATTRIBUTES)
        now = self.now()
        created = parse_date("DateCreated", form["DateCreated"]) if "DateCreated" in form else now
        updated = (
            parse_date("DateUpdated", form["DateUpdated"]) if "DateUpdated" in form else created
        )
        sid = self.new_sid("CH")
        url = f"{self._scope_prefix(service)}/Conversations/{sid}"
        bindings: JSONDict = {}
        if "Bindings.Email.Address" in form or "Bindings.Email.Name" in form:
            bindings = {
                "email": {
                    "address": form.get("Bindings.Email.Address"),
                    "name": form.get("Bindings.Email.Name"),
                }
            }
        record: JSONDict = {
            "account_sid": self.account_sid,
            "chat_service_sid": service_sid,
            "messaging_service_sid": form.get("MessagingServiceSid") or self.new_sid("MG"),
            "sid": sid,
            "friendly_name": friendly_name,
            "unique_name": unique_name,
            "attributes": attributes if attributes is not None else "{}",
            "state": state,
            "date_created": format_date(created),
            "date_updated": format_date(updated),
            "timers": self._timers(form, now),
            "bindings": bindings,
            "url": url,
            "links": {
                "participants": f"{url}/Participants",
                "messages": f"{url}/Messages",
                "webhooks": f"{url}/Webhooks",
                "export": f"{url}/Export",
            },
        }
        self.conversations[sid] = ConversationEntry(record=record)
        if unique_name is not None:
            self._unique_names[(service_sid, unique_name)] = sid
        return record

    def _timers(self, form: Mapping[str, str], now: datetime) -> JSONDict:
        from datetime import timedelta

        timers: JSONDict = {}
        for key, field, minimum in (
            ("date_inactive", "Timers.Inactive", timedelta(minutes=1)),
            ("date_closed", "Timers.Closed", timedelta(minutes=10)),
        ):
            if field in form:
                duration = parse_duration(field, form[field])
                if duration < minimum:
                    raise invalid(field, f"must be at least {minimum}")
                timers[key] = format_date(now + duration)
        return timers

    def find_conversation(
        self, service: str | None, key: str, *, code: int = 20404
    ) -> ConversationEntry:
        """By SID or unique name, within the service; 404 with ``code`` when absent."""
        service_sid = service or self.default_service
        sid = self._unique_names.get((service_sid, key), key)
        entry = self.conversations.get(sid)
        if entry is None or entry.record["chat_service_sid"] != service_sid:
            path = f"{self._scope_prefix(service)}/Conversations/{key}"
            if code == 20404:
                raise TwilioError(404, 20404, f"The requested resource {path} was not found")
            raise TwilioError(404, code, "Conversation not found")
        return entry

    # -- participants -------------------------------------------------------------------------

    def create_participant(
        self, service: str | None, conversation: str, form: Mapping[str, str]
    ) -> JSONDict:
        entry = self.find_conversation(service, conversation, code=50350)
        identity = form.get("Identity")
        address = form.get("MessagingBinding.Address")
        proxy = form.get("MessagingBinding.ProxyAddress")
        projected = form.get("MessagingBinding.ProjectedAddress")
        for field in (
            "Identity",
            "MessagingBinding.Address",
            "MessagingBinding.ProxyAddress",
            "MessagingBinding.ProjectedAddress",
        ):
            check_length(field, form.get(field))
        check_pattern("RoleSid", form.get("RoleSid"), ROLE_SID)
        attributes = check_attributes(form.get("Attributes"), MAX_PARTICIPANT_ATTRIBUTES)
        if not identity and not address:
            if projected:
                raise TwilioError(400, 50434, "Participant projected address not provided")
            raise TwilioError(400, 50411, "Participant address is empty")
        if proxy and not address:
            raise TwilioError(400, 50411, "Participant address is empty")
        if address and proxy and address == proxy:
            raise TwilioError(400, 50409, "Participant address equals proxy address")
        if identity and identity in entry.by_identity:
            raise TwilioError(409, 50433, "Participant already exists")
        if address:
            if (address, proxy) in entry.by_binding:
                raise TwilioError(409, 50437, "Group Participant already exists")
            if proxy and (address, proxy) in self._bindings:
                other = self._bindings[(address, proxy)]
                raise TwilioError(
                    409,
                    50416,
                    f"A binding for this participant and proxy address already exists in Conversation {other}",
                )
        if len(entry.participants) >= self.limits.participants_per_conversation:
            raise TwilioError(400, 50417, "Participants limit exceeded")
        if address and not identity:
            non_chat = sum(1 for p in entry.participants.values() if p["identity"] is None)
            if non_chat >= self.limits.non_chat_per_conversation:
                raise TwilioError(400, 50422, "Non-chat conversation participants limit exceeded")
        now = self.now()
        created = parse_date("DateCreated", form["DateCreated"]) if "DateCreated" in form else now
        updated = (
            parse_date("DateUpdated", form["DateUpdated"]) if "DateUpdated" in form else created
        )
        sid = self.new_sid("MB")
        conversation_sid = entry.record["sid"]
        binding: JSONDict | None = None
        if address or projected:
            binding = {"type": binding_type(address or projected or "")}
            if address:
                binding["address"] = address
            if proxy:
                binding["proxy_address"] = proxy
            if projected:
                binding["projected_address"] = projected
        record: JSONDict = {
            "account_sid": self.account_sid,
            "conversation_sid": conversation_sid,
            "sid": sid,
            "identity": identity,
            "attributes": attributes if attributes is not None else "{}",
            "messaging_binding": binding,
            "role_sid": form.get("RoleSid") or None,
            "date_created": format_date(created),
            "date_updated": format_date(updated),
            "url": f"{self._scope_prefix(service)}/Conversations/{conversation_sid}/Participants/{sid}",
            "last_read_message_index": None,
            "last_read_timestamp": None,
        }
        if service is not None:
            record["chat_service_sid"] = service
        entry.participants[sid] = record
        if identity:
            entry.by_identity[identity] = sid
        if address:
            entry.by_binding[(address, proxy)] = sid
            if proxy:
                self._bindings[(address, proxy)] = conversation_sid
        self.participants_created += 1
        return record

    def find_participant(
        self, service: str | None, conversation: str, key: str
    ) -> tuple[ConversationEntry, JSONDict]:
        """By SID or identity; 404 (50432) when absent."""
        entry = self.find_conversation(service, conversation, code=50350)
        sid = entry.by_identity.get(key, key)
        record = entry.participants.get(sid)
        if record is None:
            raise TwilioError(404, 50432, "Participant not found")
        return entry, record

    def participants_of(self, service: str | None, conversation: str) -> list[JSONDict]:
        return list(self.find_conversation(service, conversation, code=50350).participants.values())


def binding_type(address: str) -> str:
    if address.startswith("whatsapp:"):
        return "whatsapp"
    if address.startswith("rcs:"):
        return "rcs"
    return "sms"


_DURATION: Final = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(field: str, value: str) -> Any:
    """An ISO 8601 duration such as ``PT10M`` or ``P1DT2H`` (days, hours, minutes, seconds)."""
    from datetime import timedelta

    match = _DURATION.fullmatch(value)
    if not match or value in {"P", "PT"} or value.endswith("T"):
        raise invalid(field, f"{value!r} is not an ISO 8601 duration")
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])
