"""The plaintext layout of a block of entries sealed together (``entry_blocks``; docs/sync/encryption.md).

Entries stored in one transaction (a pulled page) are sealed as one block, so reading them back costs one
AES-GCM call per block instead of one per entry. A block's plaintext is the sequence, in ``block_index``
order, of ``entry id (36 ASCII bytes, the canonical text form the ``entries`` table keys by) | content
length (4 bytes, big-endian) | content``. (Text, not the 16-byte form: comparing it with the row's id
needs no UUID parsing, which cost more per entry than the decryption it saves.) Each entry row names
its block and index; opening checks that the entry id at that index is the row's own, so a row pointed at
another block or index fails with ``TamperedDataError`` just as a row sealed on its own and moved does.
The layout is independent of the codec: the benchmark's plaintext codec stores the same blocks unsealed.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from uuid import UUID

from sync.errors import TamperedDataError

_HEADER = struct.Struct(">36sI")

Block = list[tuple[bytes, bytes]]  # (entry id as ASCII bytes, content), in block_index order


def pack_block(entries: Sequence[tuple[UUID, bytes]]) -> bytes:
    """The block plaintext of ``entries`` (id, content), in the order given (index 0 first)."""
    parts: list[bytes] = []
    for entry_id, content in entries:
        parts.append(_HEADER.pack(str(entry_id).encode("ascii"), len(content)))
        parts.append(content)
    return b"".join(parts)


def unpack_block(plaintext: bytes) -> Block:
    """The entries of a block plaintext; ``TamperedDataError`` if it is not one ``pack_block`` made."""
    block: Block = []
    offset, end = 0, len(plaintext)
    while offset < end:
        if end - offset < _HEADER.size:
            raise _malformed()
        entry_id, length = _HEADER.unpack_from(plaintext, offset)
        offset += _HEADER.size
        if end - offset < length:
            raise _malformed()
        block.append((entry_id, plaintext[offset : offset + length]))
        offset += length
    return block


def entry_in_block(block: Block, *, index: int, entry_id: str) -> bytes:
    """The content at ``index``, which must be that of ``entry_id`` (canonical text form);
    ``TamperedDataError`` otherwise."""
    if not 0 <= index < len(block) or block[index][0] != entry_id.encode():
        raise TamperedDataError(f"entry {entry_id} does not belong at index {index} of its block (moved row)")
    return block[index][1]


def _malformed() -> TamperedDataError:
    return TamperedDataError("a stored entry block is malformed (changed or corrupt)")
