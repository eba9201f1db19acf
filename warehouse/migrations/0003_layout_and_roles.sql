-- Version 3: the map's layout and where speakers' roles come from.
--
-- The layout is a 2-D map of the segment embeddings (UMAP, etl/layout.py): fitted on a
-- sample, the fitted reducer is kept here so that later runs place new segments without
-- moving old ones. Clusters of the map carry keyword labels per language (c-TF-IDF).
-- As in 0001, keys and value domains are noted here, kept by the writers (etl/layout.py,
-- etl/load.py through warehouse/staging.py) and verified by `stance check`.

CREATE TABLE IF NOT EXISTS layouts (
    layout_id  INTEGER NOT NULL,                -- key
    model      VARCHAR NOT NULL,                -- the embedding model it was fitted on
    dim        INTEGER NOT NULL,
    method     VARCHAR NOT NULL,                -- 'umap'
    params     VARCHAR NOT NULL,                -- JSON: reducer and clustering settings
    fit_size   INTEGER NOT NULL,                -- segments in the fitted sample
    fitted_at  TIMESTAMP NOT NULL,
    reducer    BLOB NOT NULL                    -- the fitted reducer (pickle), read by the ETL only
);

CREATE TABLE IF NOT EXISTS segment_layout (
    segment_id VARCHAR NOT NULL,                -- key; an embedded segment
    layout_id  INTEGER NOT NULL,
    x          FLOAT NOT NULL,
    y          FLOAT NOT NULL,
    cluster    INTEGER,                         -- layout_clusters.cluster; NULL: in no cluster
    fitted     BOOLEAN NOT NULL                 -- in the fitted sample (else placed by transform)
);

CREATE TABLE IF NOT EXISTS layout_clusters (
    layout_id  INTEGER NOT NULL,
    cluster    INTEGER NOT NULL,
    language   VARCHAR NOT NULL,                -- keywords from this language's segments
    label      VARCHAR NOT NULL,                -- the top keywords, joined with ' · '
    keywords   VARCHAR[] NOT NULL,              -- best first
    segments   INTEGER NOT NULL                 -- of the sample, in this language; key: (layout_id, cluster, language)
);

-- speakers.role is the role in force (vocabulary: warehouse/roles.py); this table says
-- where it came from.
CREATE TABLE IF NOT EXISTS speaker_roles (
    speaker_id VARCHAR NOT NULL,                -- key
    role       VARCHAR NOT NULL,
    source     VARCHAR NOT NULL                 -- 'aliases' | 'label' (the transcript's label) | 'inferred'
);

UPDATE speakers SET role = 'questioner' WHERE role = 'generic';
INSERT INTO speaker_roles
SELECT speaker_id, role, 'aliases' FROM speakers
WHERE role IS NOT NULL AND speaker_id NOT IN (SELECT speaker_id FROM speaker_roles);
