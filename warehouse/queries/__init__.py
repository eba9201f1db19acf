"""Every query the dashboard runs, as small functions over a `Reader`, one module per page
(overview, speaker, compare, agreement, search, document, map, review, runs) plus what they share
(filters, facts, statements, embeddings). Callers import the package:
`from warehouse import queries as q; q.summary(reader, q.Filters())`.

Each function takes a `warehouse.store.Reader` (plus a `Filters` where the global
filters apply) and returns plain Python: lists of dicts, or a small value. SQL is
always parameterised: user values travel as parameters, never inside the SQL text;
only constants of these modules (identifiers, integers) are formatted into it.
"""
from warehouse.queries.agreement import (agreement_matrix, agreement_pairs, agreement_statements,
                                         contested_statements, stance_profiles)
from warehouse.queries.compare import replies_among, reply_pairs, stance_target, topics_by_speaker
from warehouse.queries.document import document, document_segments, find_documents, segment_position
from warehouse.queries.embeddings import embedding_batches, embedding_dim, embedding_model, embeddings_version
from warehouse.queries.facts import FACTS, facts_version, warm_up
from warehouse.queries.filters import (AGREEMENT_LABELS, BUCKETS, KINDS, OVERRIDE_TASKS, STANCES, Filters,
                                       filter_options)
from warehouse.queries.map import cluster_labels, cluster_table, has_layout, map_sample
from warehouse.queries.overview import speaker_topic_matrix, summary, top_speakers_by_topic, topic_share
from warehouse.queries.review import current_label, overrides, record_override, review_queue
from warehouse.queries.runs import etl_runs, rejects
from warehouse.queries.search import SEARCH_COLUMNS, matching_embedding_rows, search, search_results
from warehouse.queries.speaker import (quotes_by_speaker, representative_quotes, speaker_info, speaker_partners,
                                       speaker_stance_over_time, speaker_vs_others, topic_totals)
from warehouse.queries.statements import (STATEMENT_COLUMNS, count_statements, segment_texts, statements,
                                          statements_by_id)

__all__ = [
    "AGREEMENT_LABELS", "BUCKETS", "FACTS", "Filters", "KINDS", "OVERRIDE_TASKS", "SEARCH_COLUMNS", "STANCES",
    "STATEMENT_COLUMNS", "agreement_matrix", "agreement_pairs", "agreement_statements", "cluster_labels",
    "cluster_table", "contested_statements", "count_statements", "current_label", "document",
    "document_segments", "embedding_batches", "embedding_dim", "embedding_model", "embeddings_version",
    "etl_runs", "facts_version", "filter_options", "find_documents", "has_layout", "map_sample",
    "matching_embedding_rows", "overrides", "quotes_by_speaker", "record_override", "rejects", "replies_among",
    "reply_pairs", "representative_quotes", "review_queue", "search", "search_results", "segment_position",
    "segment_texts", "speaker_info", "speaker_partners", "speaker_stance_over_time", "speaker_topic_matrix",
    "speaker_vs_others", "stance_profiles", "stance_target", "statements", "statements_by_id", "summary",
    "top_speakers_by_topic", "topic_share", "topic_totals", "topics_by_speaker", "warm_up",
]
