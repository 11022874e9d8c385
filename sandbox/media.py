"""Files kept in memory, and the size of PNG, JPEG and GIF images read from their headers."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any

_JPEG_FRAMES = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE})
_GIF = (b"GIF87a", b"GIF89a")


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 <= len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:
            index += 1
            continue
        if marker in {0xD8, 0x01} or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, JPEG or GIF image, or None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data.startswith(_GIF) and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    return None


def image_mime_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(_GIF):
        return "image/gif"
    return None


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    kind: str  # "photo" or "document"
    file_name: str | None
    mime_type: str | None
    file_path: str
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.data)

    def photo_size(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": self.size,
        }

    def document(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
        }
        if self.file_name:
            answer["file_name"] = self.file_name
        if self.mime_type:
            answer["mime_type"] = self.mime_type
        answer["file_size"] = self.size
        return answer

    def file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif"}


class FileStore:
    """Every file the bots or users sent, by file_id and by file_path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def clear(self) -> None:
        self._by_id.clear()
        self._by_path.clear()

    def add(
        self, data: bytes, kind: str, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        self._counter += 1
        digest = hashlib.sha256(data).hexdigest()
        file_id = f"{'AgAC' if kind == 'photo' else 'BQAC'}{self._counter:06d}{digest[:24]}"
        folder = "photos" if kind == "photo" else "documents"
        extension = _EXTENSIONS.get(mime_type or "", "")
        if not extension and file_name and "." in file_name:
            extension = file_name.rsplit(".", 1)[1][:8]
        path = f"{folder}/file_{self._counter}" + (f".{extension}" if extension else "")
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=f"AQAD{digest[:16]}",
            data=data,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            file_path=path,
        )
        size = image_size(data) if kind == "photo" else None
        if size is not None:
            stored.width, stored.height = size
        self._by_id[file_id] = stored
        self._by_path[path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)
