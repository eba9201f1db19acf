"""Speaker roles: the one vocabulary the ETL stores in `speakers.role` and every view filters by.

A role says what part a person plays in the discourse, not their office. Participants
take positions and are what the stance, agreement and camp views are about; the other
roles run, ask or narrate a conversation and are left out of those views by default
(the dashboard's "Include: moderators, questioners..." toggle brings them back).

| role            | participant | who                                                           |
|-----------------|-------------|---------------------------------------------------------------|
| candidate       | yes         | runs for office (debaters, nominees, running mates)           |
| official        | yes         | holds office and speaks for it (president, minister, senator) |
| spokesperson    | yes         | speaks for a campaign, party or organisation                  |
| guest           | yes         | an invited participant: pundit, expert, voter on a panel      |
| moderator       | no          | runs a debate, town hall or interview: asks, keeps time       |
| host            | no          | presents a show or podcast; interviews rather than argues     |
| questioner      | no          | an unnamed reporter or audience member ("Q", "QUESTION")      |
| press secretary | no          | answers reporters' questions at briefings for an office       |
| narrator        | no          | voice-over and narration                                      |

A role not in the table (NULL, or free text from a user's alias file that names none of
these) counts as a participant: most people quoted in the news have no known role.
Where roles come from, in order of precedence (`speakers.role_source`): the alias file
('aliases'), the transcript's own label ("JAKE TAPPER, CNN MODERATOR": 'label'), and the
turns themselves ('inferred': see etl/speaker_roles.py).
"""
from __future__ import annotations

import re

PARTICIPANT_ROLES = ("candidate", "official", "spokesperson", "guest")
NON_PARTICIPANT_ROLES = ("moderator", "host", "questioner", "press secretary", "narrator")
ROLES = PARTICIPANT_ROLES + NON_PARTICIPANT_ROLES
ROLE_SOURCES = ("aliases", "label", "inferred")  # highest precedence first

# Words in a free-text role or a transcript label, and the role they mean (first match wins).
_ROLE_WORDS = [
    (r"press secretary|press sec", "press secretary"),
    (r"moderator|moderador|مدير الحوار|مقدم المناظرة", "moderator"),
    (r"questioner|audience member|voter question|reporter|journalist question", "questioner"),
    (r"\bhost\b|\banchor\b|presenter|interviewer|مقدم|مذيع", "host"),
    (r"narrator|voice-?over|\bnarration\b", "narrator"),
    (r"spokes(?:person|man|woman)|\bspokes\b|متحدث", "spokesperson"),
    (r"candidate|nominee|running mate|مرشح", "candidate"),
    (r"president|governor|senator|secretary|minister|mayor|congress(?:man|woman)|representative|official|رئيس|وزير",
     "official"),
    (r"\bguest\b|panelist|analyst|commentator|expert|ضيف|محلل", "guest"),
]
_PATTERNS = [(re.compile(p, re.I), role) for p, role in _ROLE_WORDS]


def is_participant(role: str | None) -> bool:
    """Whether a speaker with this role is a participant (NULL and unknown roles are)."""
    return normalise_role(role) not in NON_PARTICIPANT_ROLES


def normalise_role(text: str | None) -> str | None:
    """A role of the vocabulary for a free-text role ('Harris campaign spokesperson' ->
    'spokesperson', 'CNN MODERATOR' -> 'moderator'); the text as given when it names none."""
    if text is None or not text.strip():
        return None
    clean = " ".join(text.split())
    if clean.lower() in ROLES:
        return clean.lower()
    for pattern, role in _PATTERNS:
        if pattern.search(clean):
            return role
    return clean


def role_from_label(label: str | None) -> str | None:
    """The role a transcript label states after its name ("DANA BASH, CNN MODERATOR" ->
    'moderator'), or None when it states none of the vocabulary."""
    if not label or "," not in label:
        return None
    role = normalise_role(label.split(",", 1)[1])
    return role if role in ROLES else None
