"""Read the records of a wandb offline run file (``run-*.wandb``), for tests that check what was logged.

The file is a 7-byte header (``:W&B``, magic, version) followed by a LevelDB-style log: 32 KiB blocks of
chunks ``crc32c (4) | length (2, little endian) | type (1: full, 2: first, 3: middle, 4: last) | data``;
each reassembled payload is a ``wandb.proto.wandb_internal_pb2.Record``.
"""

from __future__ import annotations

import struct
from pathlib import Path

from wandb.proto import wandb_internal_pb2

BLOCK = 32 * 1024
HEADER = 7
CHUNK_HEADER = 7


def read_records(path: str | Path) -> list[wandb_internal_pb2.Record]:
    data = Path(path).read_bytes()
    assert data[:4] == b":W&B", "not a wandb run file"
    records, pending, offset = [], b"", HEADER
    while offset + CHUNK_HEADER <= len(data):
        room = BLOCK - offset % BLOCK
        if room < CHUNK_HEADER:  # block trailer padding
            offset += room
            continue
        _, length, kind = struct.unpack("<IHB", data[offset:offset + CHUNK_HEADER])
        if length == 0 and kind == 0:
            offset += room
            continue
        payload = data[offset + CHUNK_HEADER:offset + CHUNK_HEADER + length]
        offset += CHUNK_HEADER + length
        pending = payload if kind in (1, 2) else pending + payload
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def logged_keys(path: str | Path) -> set[str]:
    """Every history key logged in the run."""
    keys = set()
    for record in read_records(path):
        if record.WhichOneof("record_type") == "history":
            keys |= {item.key or "/".join(item.nested_key) for item in record.history.item}
    return keys


def artifact_types(path: str | Path) -> list[str]:
    return [r.artifact.type for r in read_records(path) if r.WhichOneof("record_type") == "artifact"]
