"""Request bodies: JSON, or multipart/form-data (peer-to-peer file sends).

Multipart is parsed with the stdlib ``email`` parser. Fields named ``x[]`` are
collected into a list under ``x``; file parts go to ``files`` as (field name,
file name, bytes). A body that cannot be read counts as empty, so the endpoint
answers with its "field is required" errors, as Laravel does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart body."""

    field: str
    filename: str
    content: bytes


@dataclass(frozen=True)
class Body:
    """A parsed request body: plain fields and uploaded files."""

    fields: dict[str, Any]
    files: list[UploadedFile] = field(default_factory=list)


def parse_body(content_type: str | None, raw: bytes) -> Body:
    if content_type and content_type.lower().startswith("multipart/form-data"):
        return _parse_multipart(content_type, raw)
    if not raw.strip():
        return Body({})
    try:
        parsed = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Body({})
    return Body(parsed if isinstance(parsed, dict) else {})


def _parse_multipart(content_type: str, raw: bytes) -> Body:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        return Body({})
    fields: dict[str, Any] = {}
    files: list[UploadedFile] = []
    for part in message.iter_parts():
        _add_part(part, fields, files)
    return Body(fields, files)


def _add_part(part: Message, fields: dict[str, Any], files: list[UploadedFile]) -> None:
    name = part.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        return
    payload = part.get_payload(decode=True)
    content = payload if isinstance(payload, bytes) else b""
    filename = part.get_filename()
    if filename is not None:
        files.append(UploadedFile(name.removesuffix("[]"), filename, content))
        return
    value = content.decode("utf-8", errors="replace")
    if name.endswith("[]"):
        fields.setdefault(name[:-2], []).append(value)
    else:
        fields[name] = value
