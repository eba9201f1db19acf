"""Build a realistic synthetic warehouse for benchmarks, tests and demos.

    python bench/make_warehouse.py --segments 1000000 --out bench/bench.lake
    python bench/make_warehouse.py --segments 1000000 --out ducklake:sqlite:/srv/cat.sqlite --data-path /srv/data/

Everything goes through the real schema (`warehouse.store.write_session`), in one
transaction (one DuckLake snapshot, as if loaded by a single run). Rows are
drawn in numpy (seeded, so a given --seed always gives the same warehouse) and bulk
inserted by DuckDB scanning the numpy arrays; strings are assembled in SQL.

Shape of the data:
  * documents: conversations (debates, interviews, hearings) and news articles, over
    two years, from several outlets in en / ar / fr / es / de;
  * speakers: ~300, a few of them moderators; a handful of people say most of it;
  * each speaker belongs to a camp with a lean per topic, which drives their stances
    and whom they agree with;
  * topic, stance and agreement labels with scores; a few human overrides;
  * embeddings: the sentence-transformers vector of the segment's phrase plus noise
    (or random cluster centres with --embedder random), unit length, float32;
  * etl_runs history with rejects.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl import layout as etl_layout  # noqa: E402
from warehouse import schema  # noqa: E402
from warehouse.location import Location  # noqa: E402
from warehouse.store import write_session  # noqa: E402

MODEL = "multilingual-e5-small"  # etl.embed.DEFAULT_MODEL (imported late: this module is light)
DIM = 384
START = dt.date(2023, 7, 1)
DAYS = 731
TOPICS = ["immigration", "elections", "regulation", "economy", "climate"]
STANCES = ["favor", "against", "none"]
TARGETS = {
    "immigration": "stricter immigration enforcement",
    "elections": "trust that elections are free, fair and accurately counted",
    "regulation": "more government regulation of business",
    "economy": "higher public spending",
    "climate": "faster climate action",
}
# (outlet, kind, language, weight)
OUTLETS = [
    ("C-SPAN", "conversation", "en", 4), ("CNN Debates", "conversation", "en", 3),
    ("BBC Question Time", "conversation", "en", 2), ("Al Jazeera Arabic", "conversation", "ar", 1),
    ("France 24 Débat", "conversation", "fr", 1),
    ("Reuters", "news", "en", 4), ("AP", "news", "en", 3), ("The Guardian", "news", "en", 2),
    ("Fox News", "news", "en", 2), ("Al Jazeera Arabic", "news", "ar", 2), ("Le Monde", "news", "fr", 1),
    ("El País", "news", "es", 1), ("Der Spiegel", "news", "de", 1),
]
LANGS = ["en", "ar", "fr", "es", "de"]
FIRST = ["Maria", "John", "Aisha", "David", "Sofia", "Omar", "Linda", "James", "Fatima", "Robert", "Elena",
         "Michael", "Layla", "Thomas", "Chen", "Sarah", "Ahmed", "Laura", "Pierre", "Ana", "Karl", "Nadia",
         "Peter", "Yusuf", "Claire", "Diego", "Hannah", "Samir", "Grace", "Lucas"]
LAST = ["Lopez", "Smith", "Haddad", "Johnson", "Rossi", "Khalil", "Brown", "Miller", "Mansour", "Davis",
        "Garcia", "Wilson", "Nasser", "Martin", "Wang", "Taylor", "Saleh", "Moreau", "Fernandez", "Schmidt",
        "Anderson", "Yousef", "Clark", "Dubois", "Lewis", "Hughes", "Walker", "Farouk", "Young", "King"]
ROLES = ["senator", "governor", "candidate", "minister", "analyst", None, None, None]
# Camp leans per topic in [-1, 1]: +1 = favours the topic's stance target.
CAMP_LEAN = np.array([
    [0.8, -0.4, -0.7, -0.5, -0.6],
    [-0.7, 0.6, 0.7, 0.6, 0.8],
    [0.1, 0.2, -0.1, 0.2, 0.1],
])
CAMP_SHARE = [0.42, 0.42, 0.16]

# --- text ---------------------------------------------------------------------------
EN = {
    ("immigration", "favor"): [
        "We must secure the border and enforce the immigration laws already on the books.",
        "Illegal crossings are at record levels and we need more agents at the border now.",
        "Deportation of people who committed crimes should be the first priority.",
    ],
    ("immigration", "against"): [
        "Mass deportation would tear families apart and hurt our economy.",
        "Refugees and asylum seekers deserve a fair hearing, not a wall.",
        "These raids are cruel and they make communities less safe.",
    ],
    ("immigration", "none"): [
        "How many asylum cases are waiting for a hearing right now?",
        "The immigration bill is scheduled for a vote next month.",
    ],
    ("elections", "favor"): [
        "The election was secure and the results were certified in every state.",
        "Every audit confirmed the count; voters should trust the ballots.",
    ],
    ("elections", "against"): [
        "The election was rigged and thousands of ballots were never checked.",
        "Voter fraud is real and the results cannot be trusted.",
    ],
    ("elections", "none"): [
        "Turnout in the primary was higher than in the last cycle.",
        "The campaign will hold three more rallies before the vote.",
    ],
    ("regulation", "favor"): [
        "Big tech needs strong oversight and the regulators must enforce antitrust law.",
        "Without rules on data and safety, companies will cut corners.",
    ],
    ("regulation", "against"): [
        "Red tape is strangling small business; we should scrap these mandates.",
        "Bureaucrats in Washington should stop blocking innovation.",
    ],
    ("regulation", "none"): [
        "The agency published its new compliance rules on Friday.",
        "Which regulator would oversee artificial intelligence?",
    ],
    ("economy", "favor"): [
        "Investing in roads, schools and hospitals creates good jobs.",
        "We need public spending to protect families from rising prices.",
    ],
    ("economy", "against"): [
        "Reckless spending caused inflation and the deficit is out of control.",
        "We should cut taxes and balance the budget instead of borrowing more.",
    ],
    ("economy", "none"): [
        "The jobs report comes out on Friday morning.",
        "Inflation fell to three percent last quarter.",
    ],
    ("climate", "favor"): [
        "We must cut emissions faster and invest in clean energy.",
        "The climate crisis is here; wildfires and floods prove it.",
    ],
    ("climate", "against"): [
        "The green mandates will destroy energy jobs and raise bills.",
        "We should drill more oil and gas instead of chasing net zero.",
    ],
    ("climate", "none"): [
        "The climate summit opens in Dubai next week.",
        "Solar capacity grew by a third last year.",
    ],
    ("other", "none"): [
        "Thank you for having me tonight.", "Let me finish my answer, please.",
        "Good evening and welcome to the debate.", "That is simply not what I said.",
    ],
}
EN_NARRATION = {
    t: [f"Reporters asked officials about {w} on Tuesday.", f"The debate over {w} intensified this week."]
    for t, w in [("immigration", "immigration and the border"), ("elections", "the election"),
                 ("regulation", "new regulations"), ("economy", "the economy"), ("climate", "climate policy")]
}
EN_STAGE = ["[applause]", "(crosstalk)", "[laughter]", "[inaudible]"]
EN_OPENERS = ["", "", "Look. ", "Frankly? ", "Let me be clear. ", "I'll tell you this. ", "Again: "]
# Other languages: templates over a topic word.
WORDS = {
    "ar": ["الهجرة", "الانتخابات", "التنظيم", "الاقتصاد", "المناخ"],
    "fr": ["l'immigration", "l'élection", "la régulation", "l'économie", "le climat"],
    "es": ["la inmigración", "las elecciones", "la regulación", "la economía", "el clima"],
    "de": ["die Einwanderung", "die Wahl", "die Regulierung", "die Wirtschaft", "das Klima"],
}
TEMPLATES = {
    "ar": {"favor": "نؤيد بقوة سياسة أكثر صرامة بشأن {w}.", "against": "نرفض هذه السياسة بشأن {w} رفضا قاطعا.",
           "none": "ما هي الخطة المقترحة بشأن {w}؟", "narration": "ناقش المسؤولون {w} يوم الثلاثاء.",
           "other": "شكرا لكم على الاستضافة.", "stage": "[تصفيق]"},
    "fr": {"favor": "Nous devons agir sur {w}, c'est nécessaire.", "against": "Nous sommes contre ce projet sur {w}.",
           "none": "Quel est le calendrier pour {w} ?", "narration": "Le gouvernement a débattu de {w} mardi.",
           "other": "Merci de m'avoir invité.", "stage": "[applaudissements]"},
    "es": {"favor": "Hay que actuar sobre {w} con firmeza.", "against": "Rechazamos este plan sobre {w}.",
           "none": "¿Cuál es el calendario para {w}?", "narration": "El gobierno debatió {w} el martes.",
           "other": "Gracias por la invitación.", "stage": "[aplausos]"},
    "de": {"favor": "Wir müssen bei {w} endlich handeln.", "against": "Wir sind gegen diesen Plan für {w}.",
           "none": "Wie sieht der Zeitplan für {w} aus?", "narration": "Die Regierung debattierte am Dienstag über {w}.",
           "other": "Danke für die Einladung.", "stage": "[Applaus]"},
}
SLOTS = ["favor", "against", "none", "narration", "stage"]  # phrase slot per segment
REJECT_REASONS = [
    "malformed JSON on this line", "missing required field 'text'", "unsupported file format",
    "could not detect the text encoding", "empty document", "duplicate source_id with different content",
]


def build_phrases(langs=LANGS) -> list[tuple[str, int, int, str]]:
    """(language, topic index or -1 for off-topic, slot index, text) for every phrase."""
    rows = []
    for lang in langs:
        for ti, topic in enumerate(TOPICS):
            for si, slot in enumerate(SLOTS):
                for text in _phrases(lang, topic, slot):
                    rows.append((lang, ti, si, text))
        for text in _phrases(lang, "other", "none"):
            rows.append((lang, -1, SLOTS.index("none"), text))
        for text in _phrases(lang, "other", "stage"):
            rows.append((lang, -1, SLOTS.index("stage"), text))
    return rows


def _phrases(lang: str, topic: str, slot: str) -> list[str]:
    if lang == "en":
        if slot == "narration":
            return EN_NARRATION.get(topic, [])
        if slot == "stage":
            return EN_STAGE if topic == "other" else []
        return EN.get((topic, slot), [])
    tpl = TEMPLATES[lang]
    if topic == "other":
        return [tpl["other"] if slot == "none" else tpl["stage"]]
    if slot == "stage":
        return []
    return [tpl[slot].format(w=WORDS[lang][TOPICS.index(topic)])]


# --- people and documents ---------------------------------------------------------------
def make_speakers(rng, n: int, n_mod: int) -> dict[str, np.ndarray]:
    combos = rng.choice(len(FIRST) * len(LAST), size=n, replace=False)
    names = [f"{FIRST[c // len(LAST)]} {LAST[c % len(LAST)]}" for c in combos]
    roles = ["moderator" if i < n_mod else ROLES[rng.integers(len(ROLES))] for i in range(n)]
    camp = rng.choice(3, size=n, p=CAMP_SHARE)
    lean = np.clip(CAMP_LEAN[camp] + rng.normal(0, 0.25, size=(n, len(TOPICS))), -1, 1)
    lean[:n_mod] = 0.0  # moderators ask; they rarely take sides
    return {
        "speaker_id": np.array([nm.lower().replace(" ", "-") for nm in names], dtype=object),
        "name": np.array(names, dtype=object),
        "role": np.array(roles, dtype=object),
        "camp": camp,
        "lean": lean,
        "interest": rng.dirichlet(np.ones(len(TOPICS)) * 0.7, size=n),
    }


def make_documents(rng, n_docs: int, n_segments: int) -> dict[str, np.ndarray]:
    weights = np.array([o[3] for o in OUTLETS], dtype=float)
    outlet_i = rng.choice(len(OUTLETS), size=n_docs, p=weights / weights.sum())
    is_conv = np.array([OUTLETS[i][1] == "conversation" for i in outlet_i])
    size_w = np.where(is_conv, rng.lognormal(0, 0.5, n_docs) * 10, rng.lognormal(0, 0.4, n_docs))
    sizes = np.maximum(3, np.floor(size_w / size_w.sum() * n_segments)).astype(np.int64)
    sizes[np.argmax(sizes)] += n_segments - sizes.sum()  # exact total
    day = np.sort(rng.integers(0, DAYS, n_docs))
    # Election coverage peaks around election day (2024-11-05); the rest is steady.
    election_peak = np.exp(-(((day - (dt.date(2024, 11, 5) - START).days) / 60.0) ** 2))
    topic_p = np.tile([0.25, 0.15, 0.2, 0.25, 0.15], (n_docs, 1))
    topic_p[:, 1] += 1.2 * election_peak
    topic_p /= topic_p.sum(axis=1, keepdims=True)
    doc_topic = np.minimum(len(TOPICS) - 1, (topic_p.cumsum(axis=1) < rng.random((n_docs, 1))).sum(axis=1))
    kinds = np.where(is_conv, "conv", "news")
    return {
        "document_id": np.array([f"{k}-{i:05d}" for i, k in enumerate(kinds)], dtype=object),
        "kind": np.array(["conversation" if c else "news" for c in is_conv], dtype=object),
        "outlet": np.array([OUTLETS[i][0] for i in outlet_i], dtype=object),
        "language": np.array([OUTLETS[i][2] for i in outlet_i], dtype=object),
        "day": day,
        "topic": doc_topic,
        "size": sizes,
        "is_conv": is_conv,
    }


# --- segments ----------------------------------------------------------------------------
def zipf_pick(rng, n_items: int, size, skew: float = 2.4) -> np.ndarray:
    """Indices in [0, n_items) where low indices are far more likely (a few say most)."""
    return np.minimum(n_items - 1, np.floor(n_items * rng.random(size) ** skew)).astype(np.int64)


def make_segments(rng, docs, spk, n_mod: int) -> dict[str, np.ndarray]:
    n = int(docs["size"].sum())
    n_docs = len(docs["size"])
    doc = np.repeat(np.arange(n_docs), docs["size"])
    doc_start = np.repeat(np.cumsum(docs["size"]) - docs["size"], docs["size"])
    seq = np.arange(n) - doc_start
    conv = docs["is_conv"][doc]

    # Turns: a conversation changes turn every ~2.5 segments; a news article is one turn.
    new_turn = (rng.random(n) < 0.4) & conv
    new_turn[seq == 0] = True
    turn_global = np.cumsum(new_turn) - 1
    turn_index = (turn_global - turn_global[doc_start]).astype(np.int64)

    # Who speaks: per conversation a moderator and a cast of four; per news quote anyone.
    n_people = len(spk["name"]) - n_mod
    moderator = rng.integers(0, n_mod, n_docs)
    cast = n_mod + zipf_pick(rng, n_people, (n_docs, 4))
    n_turns = turn_global[-1] + 1
    turn_doc = doc[np.flatnonzero(new_turn)]
    turn_idx = turn_index[np.flatnonzero(new_turn)]
    turn_speaker = cast[turn_doc, zipf_pick(rng, 4, n_turns, skew=1.6)]
    turn_speaker[turn_idx % 4 == 0] = moderator[turn_doc[turn_idx % 4 == 0]]
    turn_speaker[rng.random(n_turns) < 0.03] = -1  # stage directions
    speaker = turn_speaker[turn_global]
    news_quote = ~conv & (rng.random(n) < 0.4)
    speaker[~conv] = -1
    speaker[news_quote] = n_mod + zipf_pick(rng, n_people, int(news_quote.sum()))

    # Topic: the document's own topic, the speaker's interests, or off-topic (-1).
    interest = spk["interest"][np.maximum(speaker, 0)]
    own = np.minimum(len(TOPICS) - 1, (interest.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1))
    topic = np.where(rng.random(n) < np.where(conv, 0.55, 0.8), docs["topic"][doc], own)
    topic[rng.random(n) < 0.12] = -1
    stage = conv & (speaker == -1)
    topic[stage] = -1

    # Stance from the speaker's lean on that topic.
    lean = spk["lean"][np.maximum(speaker, 0), np.maximum(topic, 0)]
    p_favor = 0.15 + 0.55 * np.maximum(lean, 0)
    p_against = 0.15 + 0.55 * np.maximum(-lean, 0)
    u = rng.random(n)
    stance = np.where(u < p_favor, 0, np.where(u < p_favor + p_against, 1, 2))
    stance[(speaker == -1) | (topic == -1)] = 2
    slot = np.where(stage, 4, np.where(~conv & (speaker == -1), 3, stance))
    second = np.where(rng.random(n) < 0.08, (topic + 1 + rng.integers(0, len(TOPICS) - 1, n)) % len(TOPICS), -1)
    second[topic == -1] = -1

    # Replies: the first segment of a turn answers the previous segment, or (35%) the
    # key statement opening its block of eight turns, so key statements collect many replies.
    first = new_turn & (turn_index > 0)
    reply_to = np.where(first, np.arange(n) - 1, -1)
    key_turn = 1 + ((turn_index - 1) // 8) * 8
    to_key = first & (key_turn < turn_index) & (rng.random(n) < 0.35)
    turn_first = np.flatnonzero(new_turn)
    reply_to[to_key] = turn_first[(turn_global - (turn_index - key_turn))[to_key]]
    return {
        "doc": doc, "seq": seq, "turn_index": turn_index, "speaker": speaker, "topic": topic,
        "second": second, "stance": stance, "slot": slot, "reply_to": reply_to,
        "quote": news_quote,
    }


def pick_phrases(rng, seg, docs, phrases) -> np.ndarray:
    """A phrase id per segment matching its language, topic and slot."""
    lang_i = np.array([LANGS.index(x) for x in docs["language"]])[seg["doc"]]
    key = lambda li, ti, si: (li * (len(TOPICS) + 1) + ti + 1) * len(SLOTS) + si  # noqa: E731
    p_key = np.array([key(LANGS.index(p[0]), p[1], p[2]) for p in phrases])
    order = np.argsort(p_key, kind="stable")
    n_keys = len(LANGS) * (len(TOPICS) + 1) * len(SLOTS)
    counts = np.bincount(p_key, minlength=n_keys)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    # Off-topic speech uses the 'other' phrases; missing categories fall back to 'other'.
    topic = np.where(seg["slot"] == 4, -1, seg["topic"])
    k = key(lang_i, topic, seg["slot"])
    k = np.where(counts[k] > 0, k, key(lang_i, -1, 2))
    return order[starts[k] + np.floor(rng.random(len(k)) * counts[k]).astype(np.int64)]


# --- embeddings --------------------------------------------------------------------------
def phrase_vectors(rng, phrases, embedder: str) -> np.ndarray:
    texts = [p[3] for p in phrases]
    if embedder == "model":
        try:
            from etl.embed import get_embedder

            return get_embedder(MODEL).encode(texts)
        except Exception as exc:  # model not installed: fall back to random centres
            print(f"embedder unavailable ({exc}); using random cluster centres", file=sys.stderr)
    v = rng.standard_normal((len(texts), DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def insert_embeddings(con, rng, seg_ids, phrase_id, centres, chunk: int = 100_000) -> None:
    for lo in range(0, len(seg_ids), chunk):
        hi = min(lo + chunk, len(seg_ids))
        v = centres[phrase_id[lo:hi]] + rng.standard_normal((hi - lo, DIM), dtype=np.float32) * (0.7 / DIM ** 0.5)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        batch = pa.table({"segment_id": pa.array(seg_ids[lo:hi], pa.string()),  # noqa: F841 (scanned by DuckDB)
                          "vector": pa.ListArray.from_arrays(
                              pa.array(np.arange(0, (hi - lo + 1) * DIM, DIM, dtype=np.int32)),
                              pa.array(v.astype(np.float32).ravel()))})
        con.execute(f"INSERT INTO embedding_vectors SELECT segment_id, '{MODEL}', {DIM}, vector FROM batch")


# --- writing -------------------------------------------------------------------------------
def write_people_and_documents(con, docs, spk) -> None:
    speaker_np = {"idx": np.arange(len(spk["name"])), **{k: spk[k] for k in ("speaker_id", "name", "role")}}  # noqa: F841
    con.execute("CREATE TEMP TABLE speaker_map AS SELECT idx, speaker_id FROM speaker_np")
    con.execute("INSERT INTO speakers SELECT speaker_id, name, role FROM speaker_np")
    con.execute("INSERT INTO speaker_roles SELECT speaker_id, role, 'aliases' FROM speaker_np WHERE role IS NOT NULL")
    document_np = {"idx": np.arange(len(docs["day"])),  # noqa: F841
                   **{k: docs[k] for k in ("document_id", "kind", "outlet", "language", "day", "topic")}}
    con.execute("CREATE TEMP TABLE doc_map AS SELECT idx, document_id FROM document_np")
    con.execute(
        """INSERT INTO documents
           SELECT document_id, kind,
                  CASE WHEN kind = 'news' THEN ?[topic + 1] || ': ' || outlet || ' report ' || document_id
                       ELSE outlet || ' ' || ?[topic + 1] || ' forum ' || document_id END,
                  outlet, 'https://example.org/' || document_id, DATE '2023-07-01' + day::INTEGER, language,
                  'synthetic/' || document_id || '.jsonl', 'jsonl', md5(document_id),
                  TIMESTAMP '2025-07-01' , 1 + (day * 12) // 731
           FROM document_np""",
        [[t.capitalize() for t in TOPICS], TOPICS],
    )


def write_segments(con, rng, seg, docs, phrases, phrase_id, spk) -> np.ndarray:
    phr = {"pid": np.arange(len(phrases)), "text": np.array([p[3] for p in phrases], dtype=object)}  # noqa: F841
    con.execute("CREATE TEMP TABLE phrase AS SELECT * FROM phr")
    seg_np = {  # noqa: F841
        "doc": seg["doc"], "seq": seg["seq"], "turn_index": seg["turn_index"], "speaker": seg["speaker"],
        "pid": phrase_id, "quote": seg["quote"], "reply_seq": np.where(seg["reply_to"] >= 0, seg["reply_to"] - (np.arange(len(phrase_id)) - seg["seq"]), -1),
        "opener": rng.integers(0, len(EN_OPENERS), len(phrase_id)), "conf": rng.beta(6, 1.5, len(phrase_id)),
    }
    con.execute(
        """CREATE TEMP TABLE seg_text AS
           SELECT s.*, d.document_id, sp.speaker_id,
                  CASE WHEN d.language = 'en' AND s.speaker >= 0 AND NOT s.quote THEN ?[s.opener + 1] ELSE '' END
                    || p.text AS text, d.language, d.kind
           FROM seg_np s JOIN phrase p USING (pid)
           JOIN doc_map m ON m.idx = s.doc JOIN documents d ON d.document_id = m.document_id
           LEFT JOIN speaker_map sp ON sp.idx = s.speaker""",
        [EN_OPENERS],
    )
    con.execute(
        """INSERT INTO segments
           SELECT document_id || '-' || lpad(seq::VARCHAR, 5, '0'), document_id, seq, turn_index, speaker_id, text,
                  coalesce(sum(length(text) + 1) OVER w, 0),
                  coalesce(sum(length(text) + 1) OVER w, 0) + length(text),
                  language,
                  CASE WHEN kind = 'conversation' THEN seq * 7.5 END,
                  CASE WHEN kind = 'conversation' THEN seq * 7.5 + 7.0 END,
                  CASE WHEN reply_seq >= 0 THEN document_id || '-' || lpad(reply_seq::VARCHAR, 5, '0') END,
                  CASE WHEN kind = 'conversation' AND speaker_id IS NOT NULL THEN 'speaker-label'
                       WHEN quote AND conf > 0.8 THEN 'direct-quote'
                       WHEN quote THEN 'reported-speech' END,
                  CASE WHEN kind = 'conversation' AND speaker_id IS NOT NULL THEN 1.0
                       WHEN quote THEN round(conf, 3) END,
                  CASE WHEN quote THEN 'said ' || speaker_id END
           FROM seg_text
           WINDOW w AS (PARTITION BY document_id, turn_index ORDER BY seq
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"""
    )
    con.execute(
        """INSERT INTO turns
           SELECT s.document_id, s.turn_index,
                  CASE WHEN d.kind = 'conversation' THEN upper(any_value(sp.name)) END,
                  CASE WHEN d.kind = 'conversation' THEN any_value(s.speaker_id) END,
                  string_agg(s.text, ' ' ORDER BY s.seq), min(s.start_s), max(s.end_s)
           FROM segments s JOIN documents d USING (document_id)
           LEFT JOIN speakers sp USING (speaker_id)
           GROUP BY s.document_id, s.turn_index, d.kind"""
    )
    seg_ids = con.execute(  # in generation order, so numpy arrays and ids line up
        "SELECT s.segment_id FROM segments s JOIN doc_map m USING (document_id) ORDER BY m.idx, s.seq"
    ).fetchnumpy()["segment_id"]
    seg_map = {"idx": np.arange(len(seg_ids)), "segment_id": seg_ids}  # noqa: F841
    con.execute("CREATE TEMP TABLE seg_map AS SELECT * FROM seg_map")
    return seg_ids


def write_labels(con, rng, seg, seg_ids, spk) -> None:
    n, t = len(seg_ids), len(TOPICS)
    scores = np.minimum(rng.beta(1.2, 6, (n, t)), 0.49)  # unassigned topics score below the threshold
    rows = np.arange(n)
    has = seg["topic"] >= 0
    scores[rows[has], seg["topic"][has]] = 0.5 + 0.48 * rng.beta(4, 1.6, has.sum())
    has2 = seg["second"] >= 0
    scores[rows[has2], seg["second"][has2]] = 0.5 + 0.2 * rng.random(has2.sum())
    topic_np = {  # noqa: F841
        "seg": np.repeat(rows, t), "topic": np.tile(np.arange(t), n), "score": scores.reshape(-1).round(4),
    }
    con.execute(
        f"""INSERT INTO topic_labels
            SELECT m.segment_id, ?[topic + 1], score, score >= 0.5, '{MODEL}',
                   CASE WHEN s.language = 'en' THEN 'zero-shot-embedding' ELSE 'cue-lexicon' END
            FROM topic_np JOIN seg_map m ON m.idx = topic_np.seg JOIN segments s USING (segment_id)""",
        [TOPICS],
    )
    # Stance for every assigned topic: the drawn stance on the main topic, a fresh one on the second.
    st_rows = np.concatenate([rows[has], rows[has2]])
    st_topic = np.concatenate([seg["topic"][has], seg["second"][has2]])
    st_label = np.concatenate([seg["stance"][has], rng.integers(0, 3, has2.sum())])
    stance_np = {  # noqa: F841
        "seg": st_rows, "topic": st_topic, "label": st_label,
        "score": (0.34 + 0.65 * rng.beta(3, 1.4, len(st_rows))).round(4),
    }
    con.execute(
        """INSERT INTO stance_labels
           SELECT m.segment_id, ?[topic + 1], ?[topic + 1], ?[label + 1], score, 'nli-deberta-v3', 'zero-shot-nli'
           FROM stance_np JOIN seg_map m ON m.idx = stance_np.seg""",
        [TOPICS, [TARGETS[x] for x in TOPICS], STANCES],
    )
    write_agreements(con, rng, seg, seg_ids, spk)


def write_agreements(con, rng, seg, seg_ids, spk) -> None:
    """Replies: agree with your own camp, disagree with the other one. Reported: news quotes."""
    camp = spk["camp"]
    reply = np.flatnonzero(seg["reply_to"] >= 0)
    target = seg["reply_to"][reply]
    ok = (seg["speaker"][reply] >= 0) & (seg["speaker"][target] >= 0) & (seg["speaker"][reply] != seg["speaker"][target])
    reply, target = reply[ok], target[ok]
    a, b = seg["speaker"][reply], seg["speaker"][target]
    reported = np.flatnonzero(seg["quote"] & (rng.random(len(seg_ids)) < 0.25))
    ra = seg["speaker"][reported]
    rb = np.where(rng.random(len(reported)) < 0.5, zipf_pick(rng, len(camp), len(reported)), rng.integers(0, len(camp), len(reported)))
    keep = ra != rb
    reported, ra, rb = reported[keep], ra[keep], rb[keep]
    src = np.concatenate([reply, reported])
    tgt = np.concatenate([target, np.full(len(reported), -1)])
    sa, sb = np.concatenate([a, ra]), np.concatenate([b, rb])
    same = camp[sa] == camp[sb]
    u = rng.random(len(src))
    p_agree = np.where(same, 0.65, 0.15)
    label = np.where(u < p_agree, 0, np.where(u < p_agree + (1 - p_agree) * 0.6, 1, 2))
    agree_np = {  # noqa: F841
        "seg": src, "tgt": tgt, "sa": sa, "sb": sb, "label": label,
        "kind": np.concatenate([np.zeros(len(reply), int), np.ones(len(reported), int)]),
        "score": (0.4 + 0.59 * rng.beta(3, 1.5, len(src))).round(4),
    }
    con.execute(
        """INSERT INTO agreement_labels
           SELECT m.segment_id, ?[kind + 1], t.segment_id, a.speaker_id, b.speaker_id,
                  ?[label + 1], score, 'nli-deberta-v3', 'zero-shot-nli',
                  CASE WHEN kind = 1 THEN 'said they ' || ?[label + 1] || ' with ' || b.speaker_id END
           FROM agree_np g JOIN seg_map m ON m.idx = g.seg LEFT JOIN seg_map t ON t.idx = g.tgt
           JOIN speaker_map a ON a.idx = g.sa JOIN speaker_map b ON b.idx = g.sb""",
        [["reply", "reported"], ["agree", "disagree", "neutral"], ["agreed", "disagreed", "were neutral"]],
    )


def write_overrides_runs_settings(con, rng, n_docs: int) -> None:
    n_over = max(5, con.execute("SELECT count(*) FROM stance_labels").fetchone()[0] // 2000)
    con.execute(
        """INSERT INTO label_overrides (override_id, task, segment_id, topic, old_label, new_label, author, created_at, note)
           SELECT row_number() OVER (), 'stance', segment_id, topic, label,
                  CASE label WHEN 'favor' THEN 'against' WHEN 'against' THEN 'none' ELSE 'favor' END,
                  (['alice', 'bob', 'carmen'])[1 + (hash(segment_id) % 3)::BIGINT],
                  TIMESTAMP '2025-07-02' + to_minutes((hash(segment_id) % 10000)::BIGINT), 'reviewed in the dashboard'
           FROM (SELECT * FROM stance_labels ORDER BY hash(segment_id || topic) LIMIT ?)""",
        [n_over],
    )
    con.execute(
        """INSERT INTO label_overrides (override_id, task, segment_id, topic, old_label, new_label, author, created_at, note)
           SELECT (SELECT max(override_id) FROM label_overrides) + row_number() OVER (), 'topic', segment_id, NULL,
                  NULL, 'economy|climate', 'alice', TIMESTAMP '2025-07-03', 'mentions both'
           FROM (SELECT segment_id FROM segments WHERE speaker_id IS NOT NULL ORDER BY hash(segment_id) LIMIT ?)""",
        [max(2, n_over // 5)],
    )
    con.execute(
        """INSERT INTO etl_runs
           SELECT r, TIMESTAMP '2023-07-01' + to_days(r * 61), TIMESTAMP '2023-07-01' + to_days(r * 61) + to_minutes(5 + r * 3),
                  CASE WHEN r = 4 THEN 'failed' WHEN r % 3 = 0 THEN 'ok_with_rejects' ELSE 'ok' END,
                  ['inputs/batch-' || r || '/'], CASE WHEN r = 4 THEN 0 ELSE ? // 12 END, r % 2, r * 3,
                  CASE WHEN r % 3 = 0 THEN 4 + r ELSE 0 END, 0, 0,
                  CASE WHEN r = 4 THEN 'OutOfMemoryException: could not allocate block' END
           FROM range(1, 13) t(r)""",
        [n_docs],
    )
    con.execute("UPDATE etl_runs SET segments = (SELECT count(*) FROM segments) // 11, embedded = (SELECT count(*) FROM segments) // 11 WHERE status <> 'failed'")
    con.execute(
        """INSERT INTO rejects
           SELECT run_id, 'inputs/batch-' || run_id || '/file-' || i || '.jsonl', 10 + i * 7, ?[1 + (i + run_id) % 6],
                  '{"source_id": "broken-' || i || '", "text": ...'
           FROM etl_runs, range(rejected) t(i) WHERE rejected > 0""",
        [REJECT_REASONS],
    )
    for key, value in (("embedding_model", MODEL), ("embedding_dim", str(DIM)), ("generator", "bench/make_warehouse.py")):
        schema.put_setting(con, key, value)
    schema.refresh_views(con, DIM)  # the embeddings view, FLOAT[DIM]


def build(out: Path | str, segments: int, seed: int = 7, embedder: str = "model", docs: int | None = None,
          speakers: int | None = None, log=print, data_path: str | None = None, layout: bool = True) -> Path | str:
    """Write a fresh synthetic warehouse of `segments` segments to `out` (a folder, replaced;
    or a new DuckLake location), with the map's layout as the ETL makes it (unless `layout` is false)."""
    t0 = time.time()
    rng = np.random.default_rng(seed)
    n_docs = docs or max(12, segments // 250)
    n_spk = speakers or min(300, max(30, segments // 40))
    n_mod = max(2, n_spk // 20)
    loc = Location.parse(out, data_path)
    if loc.folder is not None:
        shutil.rmtree(loc.folder, ignore_errors=True)
    spk = make_speakers(rng, n_spk, n_mod)
    doc = make_documents(rng, n_docs, segments)
    seg = make_segments(rng, doc, spk, n_mod)
    phrases = build_phrases()
    phrase_id = pick_phrases(rng, seg, doc, phrases)
    centres = phrase_vectors(rng, phrases, embedder)
    with write_session(loc) as con:
        con.execute("SET preserve_insertion_order = false")
        write_people_and_documents(con, doc, spk)
        seg_ids = write_segments(con, rng, seg, doc, phrases, phrase_id, spk)
        log(f"segments written ({time.time() - t0:.1f}s)")
        write_labels(con, rng, seg, seg_ids, spk)
        log(f"labels written ({time.time() - t0:.1f}s)")
        insert_embeddings(con, rng, seg_ids, phrase_id, centres)
        log(f"embeddings written ({time.time() - t0:.1f}s)")
        write_overrides_runs_settings(con, rng, n_docs)
        for tmp in ("phrase", "seg_np", "seg_text", "seg_map", "doc_map", "speaker_map"):
            con.execute(f"DROP TABLE IF EXISTS {tmp}")
    if layout:  # as the ETL makes it: read from the written warehouse, merged in a transaction of its own
        t1 = time.time()
        log(f"{etl_layout.update_warehouse(loc).line()} in {time.time() - t1:.1f}s")
    log(f"{out}: {segments:,} segments, {n_docs:,} documents, {n_spk} speakers in {time.time() - t0:.1f}s")
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segments", type=int, default=1_000_000)
    ap.add_argument("--out", default="bench/bench.lake", help="a warehouse folder, or a ducklake: location")
    ap.add_argument("--data-path", default=None, help="data path of a new ducklake: location")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--docs", type=int, default=None, help="number of documents (default segments/250)")
    ap.add_argument("--speakers", type=int, default=None, help="number of speakers (default up to 300)")
    ap.add_argument("--embedder", choices=["model", "random"], default="model",
                    help="phrase vectors from the real embedding model, or random cluster centres")
    ap.add_argument("--no-layout", action="store_true", help="leave out the map's layout (etl/layout.py)")
    args = ap.parse_args(argv)
    build(args.out, args.segments, args.seed, args.embedder, args.docs, args.speakers, data_path=args.data_path,
          layout=not args.no_layout)


if __name__ == "__main__":
    main()
