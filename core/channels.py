"""Contact channels: the small fixed list uploads are matched against.

LGChL (the Local Government Channel List) has no machine-readable copy to load, so the
channels live here with the LGChL id where one is known. ``normalise_channel`` accepts an id,
a label, common spellings and LGChL ids, so councils' own exports match without editing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    channel: str  # the id stored in the workspace
    label: str
    lgchl_id: int | None  # LGChL identifier, where known
    assisted: bool  # a person handles the contact (face-to-face, telephone)


CHANNELS: tuple[Channel, ...] = (
    Channel("face-to-face", "Face-to-face", 1, True),
    Channel("telephone", "Telephone", 2, True),
    Channel("web", "Web", 7, False),
    Channel("e-mail", "E-mail", 4, False),
    Channel("post", "Post", 3, False),
    Channel("sms", "SMS", 9, False),
    Channel("kiosk", "Kiosk", 8, False),
    Channel("other", "Other", None, False),
)
BY_ID = {c.channel: c for c in CHANNELS}

_ALIASES = {
    "facetoface": "face-to-face",
    "f2f": "face-to-face",
    "inperson": "face-to-face",
    "counter": "face-to-face",
    "visit": "face-to-face",
    "phone": "telephone",
    "tel": "telephone",
    "call": "telephone",
    "callcentre": "telephone",
    "contactcentre": "telephone",
    "online": "web",
    "website": "web",
    "internet": "web",
    "webform": "web",
    "onlineform": "web",
    "email": "e-mail",
    "mail": "post",
    "letter": "post",
    "text": "sms",
    "textmessage": "sms",
    "selfservicekiosk": "kiosk",
}
_BY_KEY = {re.sub(r"[^a-z0-9]", "", c.channel): c.channel for c in CHANNELS} | _ALIASES
_BY_LGCHL = {str(c.lgchl_id): c.channel for c in CHANNELS if c.lgchl_id is not None}


def normalise_channel(text: str) -> str | None:
    """The channel id for ``text`` (an id, a label, a common spelling or an LGChL id), or
    ``None`` when it names no known channel."""
    key = re.sub(r"[^a-z0-9]", "", str(text).strip().lower())
    if key in _BY_LGCHL:
        return _BY_LGCHL[key]
    return _BY_KEY.get(key)
