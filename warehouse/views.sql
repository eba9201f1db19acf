-- The documented, stable surface of the warehouse. Recreated on every migration run,
-- so a view can change without a data migration. Human corrections in
-- label_overrides always win over model labels (latest correction first).

-- Latest human correction per (task, segment, topic).
CREATE OR REPLACE VIEW latest_overrides AS
SELECT task, segment_id, topic,
       arg_max(new_label, override_id)  AS new_label,
       arg_max(author, override_id)     AS author,
       max(created_at)                  AS corrected_at
FROM label_overrides
GROUP BY task, segment_id, topic;

-- Topics per segment after corrections: assigned model topics, 'other' where none
-- passed its threshold, or the corrected set ('a|b') where a human set one.
CREATE OR REPLACE VIEW segment_topics AS
WITH corrected AS (
    SELECT segment_id, new_label FROM latest_overrides WHERE task = 'topic'
), model_best AS (
    SELECT segment_id, max(score) AS best, bool_or(assigned) AS any_assigned,
           any_value(model) AS model, any_value(method) AS method
    FROM topic_labels GROUP BY segment_id
)
SELECT t.segment_id, t.topic, t.score, 'model' AS topic_source, t.model, t.method
FROM topic_labels t
WHERE t.assigned AND t.segment_id NOT IN (SELECT segment_id FROM corrected)
UNION ALL
SELECT b.segment_id, 'other', 1 - b.best, 'model', b.model, b.method
FROM model_best b
WHERE NOT b.any_assigned AND b.segment_id NOT IN (SELECT segment_id FROM corrected)
UNION ALL
SELECT c.segment_id, unnest(string_split(c.new_label, '|')), 1.0, 'override', 'human', 'override'
FROM corrected c;

-- statements: one row per (segment, topic). speaker is NULL for narration and stage
-- directions; leave those out of speaker statistics with WHERE speaker IS NOT NULL.
CREATE OR REPLACE VIEW statements AS
SELECT
    s.segment_id,
    s.document_id,
    d.kind,
    d.title,
    d.outlet,
    d.published,
    d.url,
    s.speaker_id,
    sp.name                                   AS speaker,
    sp.role                                   AS speaker_role,
    s.turn_index,
    s.seq,
    s.text,
    coalesce(s.language, d.language)          AS language,
    st.topic,
    st.score                                  AS topic_score,
    st.topic_source,
    coalesce(so.new_label, sl.label, 'none')  AS stance,
    CASE WHEN so.new_label IS NOT NULL THEN 1.0 ELSE coalesce(sl.score, 0.0) END AS stance_score,
    CASE WHEN so.new_label IS NOT NULL THEN 'override' ELSE 'model' END AS stance_source,
    sl.target                                 AS stance_target,
    sl.model                                  AS stance_model,
    sl.method                                 AS stance_method,
    st.model                                  AS topic_model,
    st.method                                 AS topic_method,
    s.attribution_method,
    s.attribution_confidence,
    s.char_start,
    s.char_end,
    s.start_s,
    s.end_s
FROM segments s
JOIN documents d        ON d.document_id = s.document_id
JOIN segment_topics st  ON st.segment_id = s.segment_id
LEFT JOIN speakers sp   ON sp.speaker_id = s.speaker_id
LEFT JOIN stance_labels sl
       ON sl.segment_id = s.segment_id AND sl.topic = st.topic
LEFT JOIN latest_overrides so
       ON so.task = 'stance' AND so.segment_id = s.segment_id AND so.topic = st.topic;

-- agreements: one row per labelled reply (kind = 'reply') or agreement reported in
-- the news (kind = 'reported'), from speaker toward target_speaker.
CREATE OR REPLACE VIEW agreements AS
SELECT
    a.segment_id,
    s.document_id,
    d.published,
    a.kind,
    sp.name                                   AS speaker,
    tsp.name                                  AS target_speaker,
    coalesce(o.new_label, a.label)            AS label,
    CASE WHEN o.new_label IS NOT NULL THEN 1.0 ELSE a.score END AS score,
    CASE WHEN o.new_label IS NOT NULL THEN 'override' ELSE 'model' END AS label_source,
    a.speaker_id,
    a.target_speaker_id,
    a.target_segment_id,
    s.text,
    t.text                                    AS target_text,
    a.evidence,
    a.model,
    a.method
FROM agreement_labels a
JOIN segments s          ON s.segment_id = a.segment_id
JOIN documents d         ON d.document_id = s.document_id
LEFT JOIN segments t     ON t.segment_id = a.target_segment_id
LEFT JOIN speakers sp    ON sp.speaker_id = a.speaker_id
LEFT JOIN speakers tsp   ON tsp.speaker_id = a.target_speaker_id
LEFT JOIN latest_overrides o
       ON o.task = 'agreement' AND o.segment_id = a.segment_id
      AND coalesce(o.topic, '') = coalesce(CASE WHEN a.kind = 'reported' THEN a.target_speaker_id END, '');
