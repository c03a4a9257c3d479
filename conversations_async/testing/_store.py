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
    """An error answer, shaped like Twilio's: ``{code, message, more_info, status}``.

    ``code=None`` answers a body with neither ``code`` nor ``more_info``, as some Twilio
    answers are seen to have.
    """

    def __init__(self, status: int, code: int | None, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{status} {code} {message}")

    def body(self) -> JSONDict:
        if self.code is None:
            return {"message": self.message, "status": self.status}
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def not_found(path: str) -> TwilioError:
    """Twilio's generic 404 (20404), which it answers for any missing resource."""
    return TwilioError(404, 20404, f"The requested resource {path} was not found")


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
        self.missing_participant_code: int | None = 20404
        """The code of the 404 for a participant not in its conversation (API-FACTS.md 3.3):
        20404 (generic, the most likely), 50432 ("Participant not found") or None (no code)."""

    def new_sid(self, prefix: str) -> str:
        return f"{prefix}{self._rng.getrandbits(128):032x}"

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    def _scope_prefix(self, service: str | None) -> str:
        return f"{self.root}/v1" + (f"/Services/{service}" if service else "")

    @staticmethod
    def _resource_path(service: str | None, *parts: str) -> str:
        """A resource path as Twilio's 404 messages name it (``/Conversations/CH…/…``)."""
        return (f"/Services/{service}" if service else "") + "".join(f"/{p}" for p in parts)

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
        self, service: str | None, key: str, *subresource: str
    ) -> ConversationEntry:
        """By SID or unique name, within the service; 404 / 20404 when absent.

        ``subresource`` (e.g. ``"Participants"``) is the part of the path that was asked for
        below the conversation: Twilio answers its generic 20404 for it too, not 50350.
        """
        service_sid = service or self.default_service
        sid = self._unique_names.get((service_sid, key), key)
        entry = self.conversations.get(sid)
        if entry is None or entry.record["chat_service_sid"] != service_sid:
            raise not_found(self._resource_path(service, "Conversations", key, *subresource))
        return entry

    # -- participants -------------------------------------------------------------------------

    def create_participant(
        self, service: str | None, conversation: str, form: Mapping[str, str]
    ) -> JSONDict:
        entry = self.find_conversation(service, conversation, "Participants")
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
        """By SID or identity; 404 with ``missing_participant_code`` when absent."""
        entry = self.find_conversation(service, conversation, "Participants", key)
        sid = entry.by_identity.get(key, key)
        record = entry.participants.get(sid)
        if record is None:
            code = self.missing_participant_code
            if code == 50432:
                raise TwilioError(404, 50432, "Participant not found")
            path = self._resource_path(service, "Conversations", conversation, "Participants", key)
            raise TwilioError(404, code, f"The requested resource {path} was not found")
        return entry, record

    def participants_of(self, service: str | None, conversation: str) -> list[JSONDict]:
        entry = self.find_conversation(service, conversation, "Participants")
        return list(entry.participants.values())

    # -- conversation update / delete / list / with participants ----------------------------------

    def update_conversation(
        self, service: str | None, key: str, form: Mapping[str, str]
    ) -> JSONDict:
        entry = self.find_conversation(service, key)
        record = entry.record
        service_sid = record["chat_service_sid"]
        check_length("FriendlyName", form.get("FriendlyName"))
        check_pattern("MessagingServiceSid", form.get("MessagingServiceSid"), MESSAGING_SERVICE_SID)
        attributes = check_attributes(form.get("Attributes"), MAX_CONVERSATION_ATTRIBUTES)
        unique_name = form.get("UniqueName")
        if unique_name is not None:
            check_length("UniqueName", unique_name)
            if CONVERSATION_SID_LIKE.fullmatch(unique_name):
                raise invalid("UniqueName", "must not match the conversation SID pattern", 50390)
            owner = self._unique_names.get((service_sid, unique_name))
            if owner is not None and owner != record["sid"]:
                raise TwilioError(
                    409, 50353, "Conversation with provided unique name already exists"
                )
        state = form.get("State")
        if state is not None:
            if state not in STATES:
                raise invalid("State", f"must be one of {', '.join(STATES)}")
            if record["state"] == "closed" and state != "closed":
                raise invalid("State", "a closed conversation cannot be reopened")
        now = self.now()
        timers = self._timers(form, now)  # validates before anything changes
        # Every check passed: apply.
        for field, name in (
            ("FriendlyName", "friendly_name"),
            ("MessagingServiceSid", "messaging_service_sid"),
        ):
            if field in form:
                record[name] = form[field]
        if attributes is not None:
            record["attributes"] = attributes
        if unique_name is not None:
            if record["unique_name"] is not None:
                self._unique_names.pop((service_sid, record["unique_name"]), None)
            record["unique_name"] = unique_name
            self._unique_names[(service_sid, unique_name)] = record["sid"]
        if timers:
            record["timers"] = {**record["timers"], **timers}
        if "Bindings.Email.Address" in form or "Bindings.Email.Name" in form:
            email = dict(record["bindings"].get("email") or {})
            if "Bindings.Email.Address" in form:
                email["address"] = form["Bindings.Email.Address"]
            if "Bindings.Email.Name" in form:
                email["name"] = form["Bindings.Email.Name"]
            record["bindings"] = {**record["bindings"], "email": email}
        if "DateCreated" in form:
            record["date_created"] = format_date(parse_date("DateCreated", form["DateCreated"]))
        updated = parse_date("DateUpdated", form["DateUpdated"]) if "DateUpdated" in form else now
        record["date_updated"] = format_date(updated)
        if state is not None and state != record["state"]:
            record["state"] = state
            if state == "closed":
                record["timers"] = {}
                self._release_bindings(entry)
        return record

    def _release_bindings(self, entry: ConversationEntry) -> None:
        """A closed or deleted conversation no longer holds its (address, proxy) pairs."""
        sid = entry.record["sid"]
        for pair in [p for p, owner in self._bindings.items() if owner == sid]:
            del self._bindings[pair]

    def delete_conversation(self, service: str | None, key: str) -> None:
        entry = self.find_conversation(service, key)
        record = entry.record
        self._release_bindings(entry)
        if record["unique_name"] is not None:
            self._unique_names.pop((record["chat_service_sid"], record["unique_name"]), None)
        del self.conversations[record["sid"]]

    def list_conversations(self, service: str | None, query: Mapping[str, str]) -> list[JSONDict]:
        """Conversations of the service, filtered as Twilio's list filters do."""
        service_sid = service or self.default_service
        records = [
            e.record
            for e in self.conversations.values()
            if e.record["chat_service_sid"] == service_sid
        ]
        start = parse_date("StartDate", query["StartDate"]) if "StartDate" in query else None
        end = parse_date("EndDate", query["EndDate"]) if "EndDate" in query else None
        state = query.get("State")
        if state is not None and state not in STATES:
            raise invalid("State", f"must be one of {', '.join(STATES)}")
        if start is not None:
            records = [r for r in records if parse_date("", r["date_created"]) >= start]
        if end is not None:
            records = [r for r in records if parse_date("", r["date_created"]) <= end]
        if state is not None:
            records = [r for r in records if r["state"] == state]
        if start is not None or end is not None:
            # "sorted by latest conversation creation date in descending order" (the spec).
            records.sort(key=lambda r: r["date_created"], reverse=True)
        return records

    def create_with_participants(
        self, service: str | None, form: Mapping[str, str], participants: list[str]
    ) -> JSONDict:
        """A conversation and its participants, all or nothing (Twilio releases what it made)."""
        if len(participants) > 10:
            raise TwilioError(400, 50426, "Request contains too many participants")
        forms = [participant_form(text) for text in participants]
        record = self.create_conversation(service, form)
        try:
            for participant in forms:
                self.create_participant(service, record["sid"], participant)
        except TwilioError as error:
            self.delete_conversation(service, record["sid"])
            if error.code == 50416:
                raise TwilioError(
                    409,
                    50425,
                    "Participant/proxy pairs for one or more participants already in use",
                ) from None
            raise TwilioError(
                error.status,
                50427,
                f"Errors occurred during multiple participants creation: {error.message}",
            ) from None
        return record

    # -- participant update / delete --------------------------------------------------------------

    def update_participant(
        self, service: str | None, conversation: str, key: str, form: Mapping[str, str]
    ) -> JSONDict:
        entry, record = self.find_participant(service, conversation, key)
        sid = record["sid"]
        for field in (
            "Identity",
            "MessagingBinding.ProxyAddress",
            "MessagingBinding.ProjectedAddress",
        ):
            check_length(field, form.get(field))
        check_pattern("RoleSid", form.get("RoleSid"), ROLE_SID)
        attributes = check_attributes(form.get("Attributes"), MAX_PARTICIPANT_ATTRIBUTES)
        identity = cleared(form.get("Identity"))
        if identity and entry.by_identity.get(identity, sid) != sid:
            raise TwilioError(409, 50433, "Participant already exists")
        binding = dict(record["messaging_binding"] or {})
        address: str | None = binding.get("address")
        old_proxy: str | None = binding.get("proxy_address")
        proxy_given = "MessagingBinding.ProxyAddress" in form
        proxy = cleared(form.get("MessagingBinding.ProxyAddress")) if proxy_given else old_proxy
        if proxy_given and proxy is not None:
            if not address:
                raise TwilioError(400, 50441, "Failed to add a proxy address to a participant")
            if proxy == address:
                raise TwilioError(400, 50409, "Participant address equals proxy address")
            owner = self._bindings.get((address, proxy))
            if owner is not None and (address, proxy) != (address, old_proxy):
                raise TwilioError(
                    409,
                    50416,
                    f"A binding for this participant and proxy address already exists in Conversation {owner}",
                )
        index: int | None = record["last_read_message_index"]
        if "LastReadMessageIndex" in form:
            text = cleared(form["LastReadMessageIndex"])
            try:
                index = None if text is None else int(text)
            except ValueError:
                raise invalid("LastReadMessageIndex", "must be an integer or null") from None
            if index is not None and index < 0:
                raise invalid("LastReadMessageIndex", "must be >= 0")
        now = self.now()
        updated = parse_date("DateUpdated", form["DateUpdated"]) if "DateUpdated" in form else now
        created = parse_date("DateCreated", form["DateCreated"]) if "DateCreated" in form else None
        # Every check passed: apply.
        if "Identity" in form:
            if record["identity"]:
                entry.by_identity.pop(record["identity"], None)
            record["identity"] = identity
            if identity:
                entry.by_identity[identity] = sid
        if proxy_given and proxy != old_proxy and address:
            entry.by_binding.pop((address, old_proxy), None)
            if old_proxy is not None:
                self._bindings.pop((address, old_proxy), None)
            entry.by_binding[(address, proxy)] = sid
            if proxy is not None:
                self._bindings[(address, proxy)] = entry.record["sid"]
                binding["proxy_address"] = proxy
            else:
                binding.pop("proxy_address", None)
        if "MessagingBinding.ProjectedAddress" in form:
            projected = cleared(form["MessagingBinding.ProjectedAddress"])
            if projected is None:
                binding.pop("projected_address", None)
            else:
                binding.setdefault("type", binding_type(projected))
                binding["projected_address"] = projected
        if binding or record["messaging_binding"] is not None:
            record["messaging_binding"] = binding or None
        if attributes is not None:
            record["attributes"] = attributes
        if "RoleSid" in form:
            record["role_sid"] = cleared(form["RoleSid"])
        if "LastReadMessageIndex" in form:
            record["last_read_message_index"] = index
        if "LastReadTimestamp" in form:
            record["last_read_timestamp"] = cleared(form["LastReadTimestamp"])
        if created is not None:
            record["date_created"] = format_date(created)
        record["date_updated"] = format_date(updated)
        return record

    def delete_participant(self, service: str | None, conversation: str, key: str) -> None:
        entry, record = self.find_participant(service, conversation, key)
        if record["identity"]:
            entry.by_identity.pop(record["identity"], None)
        binding = record["messaging_binding"] or {}
        address = binding.get("address")
        if address:
            proxy = binding.get("proxy_address")
            entry.by_binding.pop((address, proxy), None)
            if proxy and self._bindings.get((address, proxy)) == entry.record["sid"]:
                del self._bindings[(address, proxy)]
        del entry.participants[record["sid"]]


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


def cleared(value: str | None) -> str | None:
    """Twilio's "'null' value will remove it": the text ``null`` (or nothing) clears a field."""
    return None if value in (None, "", "null") else value


def participant_form(text: str) -> dict[str, str]:
    """One ``Participant`` JSON object of ConversationWithParticipants, as a create form."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise TwilioError(
            400, 50424, "One of the JSON requests for participant creation is invalid"
        )
    form: dict[str, str] = {}
    simple = {
        "identity": "Identity",
        "attributes": "Attributes",
        "role_sid": "RoleSid",
        "date_created": "DateCreated",
        "date_updated": "DateUpdated",
    }
    for key, field in simple.items():
        value = data.get(key)
        if value is not None:
            form[field] = value if isinstance(value, str) else json.dumps(value)
    binding = data.get("messaging_binding") or {}
    if not isinstance(binding, dict):
        raise TwilioError(
            400, 50424, "One of the JSON requests for participant creation is invalid"
        )
    for key, field in (
        ("address", "MessagingBinding.Address"),
        ("proxy_address", "MessagingBinding.ProxyAddress"),
        ("projected_address", "MessagingBinding.ProjectedAddress"),
    ):
        if isinstance(binding.get(key), str):
            form[field] = binding[key]
    return form
