"""A resource template whose variable the resource checks, as the README tells authors to."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.mcp import resource

#: A note id: letters, digits and hyphens, so never a path of its own.
NoteId = Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,64}$")]


@resource("notes://{note_id}")
def note(note_id: NoteId) -> str:
    """A note, by id."""
    return f"note {note_id}"
