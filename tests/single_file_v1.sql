-- The schema of a single-file warehouse (releases before the DuckLake storage), for the migration test.
-- Version 1 of the warehouse. Tables hold facts; the documented views in views.sql
-- are the stable surface for ad hoc SQL and the dashboard.

CREATE TABLE settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE documents (
    document_id  VARCHAR PRIMARY KEY,          -- the source_id of the input
    kind         VARCHAR NOT NULL CHECK (kind IN ('conversation', 'news')),
    title        VARCHAR,
    outlet       VARCHAR,
    url          VARCHAR,
    published    DATE,
    language     VARCHAR,
    source_file  VARCHAR NOT NULL,
    format       VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,             -- an unchanged document is skipped on re-runs
    loaded_at    TIMESTAMP NOT NULL,
    run_id       INTEGER
);

CREATE TABLE speakers (
    speaker_id VARCHAR PRIMARY KEY,           -- slug of the canonical name
    name       VARCHAR NOT NULL,
    role       VARCHAR                          -- e.g. 'moderator'; NULL when unknown
);

CREATE TABLE turns (
    document_id   VARCHAR NOT NULL,
    turn_index    INTEGER NOT NULL,
    speaker_label VARCHAR,                     -- as written in the source
    speaker_id    VARCHAR,                     -- NULL for stage directions and narration
    text          VARCHAR NOT NULL,
    start_s       DOUBLE,
    end_s         DOUBLE,
    PRIMARY KEY (document_id, turn_index)
);

CREATE TABLE segments (
    segment_id     VARCHAR PRIMARY KEY,
    document_id    VARCHAR NOT NULL,
    seq            INTEGER NOT NULL,           -- order within the document
    turn_index     INTEGER,                    -- the turn it belongs to; for news, the article body
    speaker_id     VARCHAR,                    -- who it is attributed to; NULL = narration
    text           VARCHAR NOT NULL,
    char_start     INTEGER NOT NULL,           -- offsets into turns.text
    char_end       INTEGER NOT NULL,
    language       VARCHAR,
    start_s        DOUBLE,
    end_s          DOUBLE,
    reply_to       VARCHAR,                    -- segment_id this one answers
    attribution_method     VARCHAR,
    attribution_confidence DOUBLE,
    attribution_evidence   VARCHAR
);

-- embeddings(segment_id, model, dim, vector FLOAT[dim]) is created by the ETL once the
-- model's dimension is known (see warehouse/store.py).

CREATE TABLE topic_labels (
    segment_id VARCHAR NOT NULL,
    topic      VARCHAR NOT NULL,
    score      DOUBLE NOT NULL,
    assigned   BOOLEAN NOT NULL,               -- score passed the topic's threshold
    model      VARCHAR NOT NULL,
    method     VARCHAR NOT NULL,
    PRIMARY KEY (segment_id, topic)
);

CREATE TABLE stance_labels (
    segment_id VARCHAR NOT NULL,
    topic      VARCHAR NOT NULL,
    target     VARCHAR NOT NULL,
    label      VARCHAR NOT NULL CHECK (label IN ('favor', 'against', 'none')),
    score      DOUBLE NOT NULL,
    model      VARCHAR NOT NULL,
    method     VARCHAR NOT NULL,
    PRIMARY KEY (segment_id, topic)
);

CREATE TABLE agreement_labels (
    segment_id        VARCHAR NOT NULL,         -- the reply, or the news segment reporting it
    kind              VARCHAR NOT NULL CHECK (kind IN ('reply', 'reported')),
    target_segment_id VARCHAR,                  -- the segment replied to (kind = reply)
    speaker_id        VARCHAR,
    target_speaker_id VARCHAR,
    label             VARCHAR NOT NULL CHECK (label IN ('agree', 'disagree', 'neutral')),
    score             DOUBLE NOT NULL,
    model             VARCHAR NOT NULL,
    method            VARCHAR NOT NULL,
    evidence          VARCHAR
);

CREATE SEQUENCE label_override_ids;
CREATE TABLE label_overrides (
    override_id INTEGER PRIMARY KEY DEFAULT nextval('label_override_ids'),
    task        VARCHAR NOT NULL CHECK (task IN ('topic', 'stance', 'agreement')),
    segment_id  VARCHAR NOT NULL,
    topic       VARCHAR,                        -- topic for topic/stance corrections
    old_label   VARCHAR,
    new_label   VARCHAR NOT NULL,
    author      VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    note        VARCHAR
);

CREATE SEQUENCE etl_run_ids;
CREATE TABLE etl_runs (
    run_id      INTEGER PRIMARY KEY DEFAULT nextval('etl_run_ids'),
    started_at  TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP,
    status      VARCHAR NOT NULL,               -- running | ok | ok_with_rejects | failed
    inputs      VARCHAR[],
    added       INTEGER DEFAULT 0,
    replaced    INTEGER DEFAULT 0,
    skipped     INTEGER DEFAULT 0,
    rejected    INTEGER DEFAULT 0,
    segments    INTEGER DEFAULT 0,
    embedded    INTEGER DEFAULT 0,
    error       VARCHAR
);

CREATE TABLE rejects (
    run_id  INTEGER,
    file    VARCHAR NOT NULL,
    line    INTEGER,
    reason  VARCHAR NOT NULL,
    excerpt VARCHAR
);
