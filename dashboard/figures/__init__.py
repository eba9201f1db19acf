"""Plotly figures built from query results (lists of dicts), one module per page. No data
access here. Callers import the package: `from dashboard import figures; figures.empty(...)`."""
from dashboard.figures.agreement import agreement_heatmap, agreement_network, alignment_heatmap
from dashboard.figures.common import (AGAINST, AGREEMENT_COLORS, FAVOR, KEY_SEP, NO_ROWS, NONE, OKABE_ITO,
                                      STANCE_COLORS, clicked, empty, esc, net_text, short, topic_colors)
from dashboard.figures.compare import compare_attention, compare_stance, reply_matrix
from dashboard.figures.map import embedding_map
from dashboard.figures.overview import speaker_topic_heatmap, top_speakers_bars, topic_share_lines
from dashboard.figures.runs import runs_bars
from dashboard.figures.speaker import partners_bars, speaker_stance_lines

__all__ = [
    "AGAINST", "AGREEMENT_COLORS", "FAVOR", "KEY_SEP", "NO_ROWS", "NONE", "OKABE_ITO", "STANCE_COLORS",
    "agreement_heatmap", "agreement_network", "alignment_heatmap", "clicked", "compare_attention", "compare_stance",
    "embedding_map", "empty", "esc", "net_text", "partners_bars", "reply_matrix", "runs_bars", "short",
    "speaker_stance_lines", "speaker_topic_heatmap", "top_speakers_bars", "topic_colors", "topic_share_lines",
]
