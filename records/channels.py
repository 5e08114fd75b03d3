"""Contact channels: a small fixed table and a normaliser for what councils write.

No machine-readable LGChL list can be had, so the channels are kept here with their labels
and the spellings council systems use. ``normalise_channel`` answers a channel id or None.
"""

from __future__ import annotations

import re

CHANNELS: tuple[tuple[str, str], ...] = (
    ("face-to-face", "Face to face"),
    ("telephone", "Telephone"),
    ("web", "Web"),
    ("e-mail", "E-mail"),
    ("post", "Post"),
    ("sms", "SMS"),
    ("kiosk", "Kiosk"),
    ("other", "Other"),
)
CHANNEL_IDS = tuple(c for c, _ in CHANNELS)

_SPELLINGS = {
    "face-to-face": ["facetoface", "f2f", "inperson", "personal", "counter", "visit", "walkin", "reception"],
    "telephone": ["phone", "tel", "call", "callcentre", "callcenter", "contactcentre", "mobile"],
    "web": ["online", "website", "internet", "webform", "form", "portal", "digital", "app", "selfservice"],
    "e-mail": ["email", "mail", "e-mail"],
    "post": ["letter", "postal", "paper", "postalmail"],
    "sms": ["text", "textmessage", "sms"],
    "kiosk": ["selfservicekiosk", "terminal"],
    "other": ["other", "unknown", "social", "socialmedia"],
}
_LOOKUP = {re.sub(r"[^a-z0-9]", "", k): c for c, names in _SPELLINGS.items() for k in [c, *names]}
_LOOKUP.update({re.sub(r"[^a-z0-9]", "", label.lower()): c for c, label in CHANNELS})


def normalise_channel(text: object) -> str | None:
    """The channel id for a label, id or common spelling (case, spaces, hyphens ignored)."""
    if text is None:
        return None
    key = re.sub(r"[^a-z0-9]", "", str(text).strip().lower())
    return _LOOKUP.get(key) if key else None
