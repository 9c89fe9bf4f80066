"""An IVS channel named by its id (``ivs/v1/<account>/<channel>/…``) or by its ARN."""

from __future__ import annotations

import re
from dataclasses import dataclass

from clipping.errors import ClipError
from handlers.keys import is_resource_id

FIELD = "channel"
#: ``arn:aws:ivs:<region>:<account>:channel/<id>`` (any AWS partition).
_ARN = re.compile(r"arn:aws[a-z-]{0,16}:ivs:[a-z0-9-]{1,32}:(\d{12}):channel/([^/]+)")


class InvalidChannel(ClipError):
    """``channel`` is neither a channel id nor a channel ARN."""

    code = "invalid_field"


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A channel id and, when an ARN named it, the account (which narrows the walk to one folder)."""

    channel_id: str
    account: str | None = None

    @property
    def identity(self) -> str:
        """Stable text for clip ids: ``<account>/<channel>``, ``*`` for any account."""
        return f"{self.account or '*'}/{self.channel_id}"


def parse_channel(value: object) -> ChannelRef:
    """The channel a request names; anything else (``../ivs``, a stage ARN, text) is refused."""
    if not isinstance(value, str) or not value.strip():
        raise _refuse("channel must be a channel id or a channel ARN")
    text = value.strip()
    if is_resource_id(text):
        return ChannelRef(text)
    match = _ARN.fullmatch(text)
    if match and is_resource_id(match.group(2)):
        return ChannelRef(match.group(2), match.group(1))
    raise _refuse(
        "channel must be a channel id (letters, digits, '_' or '-', as in ivs/v1/<account>/<channel>/) "
        "or a channel ARN (arn:aws:ivs:<region>:<account>:channel/<id>)"
    )


def _refuse(message: str) -> InvalidChannel:
    return InvalidChannel(message, field=FIELD)
