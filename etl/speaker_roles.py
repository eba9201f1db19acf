"""Speaker roles from the alias file and the transcripts (the vocabulary: warehouse/roles.py).

For each document the ETL decides a role per speaker, with where it came from:

1. 'aliases': the alias file's `role` (normalised to the vocabulary), and 'questioner' for
   the generic speaker that Q / QUESTION labels stand for.
2. 'label': the role a transcript label states after the name ("DANA BASH, CNN MODERATOR").
3. 'inferred': in a conversation, a person who asks questions in turns much shorter than
   the others' runs it: 'moderator' (see `moderators`).

`record` stores them so that a role from a higher source is never replaced by one from a
lower source (an alias beats a label beats an inference); within a source the latest wins.
"""
from __future__ import annotations

import statistics
from collections import defaultdict

from etl.model import CONVERSATION, Document
from warehouse.roles import ROLE_SOURCES, normalise_role, role_from_label

MIN_TURNS = 4  # a moderator speaks at least this often in the conversation
MIN_TURN_SHARE = 0.1  # and takes at least this share of its turns
MIN_QUESTION_SHARE = 0.1  # and asks something in at least this share of their turns
MAX_LENGTH_RATIO = 0.5  # in turns at most half as long, on average, as the longest-winded other speaker's


def document_roles(doc: Document, turn_speakers: list[str | None], resolver,
                   quoted=()) -> dict[str, tuple[str, str]]:
    """name -> (role, source) for the people of one document (its speakers, and those
    `quoted` in it) whose role is known or shows."""
    roles: dict[str, tuple[str, str]] = {}
    for name in {n for n in [*turn_speakers, *quoted] if n}:
        role = normalise_role(resolver.role(name))
        if role:
            roles[name] = (role, "aliases")
    for turn, name in zip(doc.turns, turn_speakers):
        role = role_from_label(turn.speaker) if name else None
        if role and name not in roles:
            roles[name] = (role, "label")
    if doc.kind == CONVERSATION:
        askers = {n for n, (role, _) in roles.items() if role == "questioner"}
        for name in moderators(doc, turn_speakers, exclude=askers):
            roles.setdefault(name, ("moderator", "inferred"))
    return roles


def moderators(doc: Document, turn_speakers: list[str | None], exclude=()) -> list[str]:
    """The people who run a conversation: they take a fair share of its turns and ask
    questions, in turns at most half as long on average as those of the most long-winded
    other speaker (`exclude`d speakers, e.g. unnamed questioners, are not compared with).

    On the ten debates and town halls of the shared corpora (alias roles ignored) this
    finds all eleven moderators, at ratios 0.13-0.46, and no candidate (0.61 and up)."""
    turns: dict[str, list[str]] = defaultdict(list)
    for turn, name in zip(doc.turns, turn_speakers):
        if name and name not in exclude:
            turns[name].append(turn.text)
    total = sum(len(t) for t in turns.values())
    mean = {name: statistics.mean(len(t.split()) for t in texts) for name, texts in turns.items()}
    found = []
    for name, texts in turns.items():
        longest = max((m for other, m in mean.items() if other != name), default=0)
        if (len(texts) >= MIN_TURNS and len(texts) >= MIN_TURN_SHARE * total and longest
                and sum("?" in t for t in texts) >= MIN_QUESTION_SHARE * len(texts)
                and mean[name] <= MAX_LENGTH_RATIO * longest):
            found.append(name)
    return sorted(found)


def record(con, roles: dict[str, tuple[str, str]]) -> None:
    """Store speaker_id -> (role, source) in speakers.role (and the source in speaker_roles),
    never replacing a role that came from a higher source."""
    for speaker_id, (role, source) in roles.items():
        row = con.execute("SELECT source FROM speaker_roles WHERE speaker_id = ?", [speaker_id]).fetchone()
        if row and ROLE_SOURCES.index(row[0]) < ROLE_SOURCES.index(source):
            continue
        con.execute("INSERT OR REPLACE INTO speaker_roles VALUES (?, ?, ?)", [speaker_id, role, source])
        con.execute("UPDATE speakers SET role = ? WHERE speaker_id = ?", [role, speaker_id])
