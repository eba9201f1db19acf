"""Human label corrections exported as training CSVs for `stance train`."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import TextIO

from warehouse.store import connect_read

EXPORTS = {
    # topic: the corrected topic set of a segment, labels joined with '|'
    "topic": ("text,label", """
        SELECT s.text, o.new_label FROM latest_overrides o JOIN segments s USING (segment_id)
        WHERE o.task = 'topic' ORDER BY s.segment_id"""),
    # stance: toward the topic's stance target as stored with the model label
    "stance": ("text,target,label", """
        SELECT s.text, coalesce(l.target, o.topic), o.new_label
        FROM latest_overrides o JOIN segments s USING (segment_id)
        LEFT JOIN stance_labels l ON l.segment_id = o.segment_id AND l.topic = o.topic
        WHERE o.task = 'stance' ORDER BY s.segment_id, o.topic"""),
    "agreement": ("quote,response,label", """
        SELECT t.text, s.text, o.new_label
        FROM latest_overrides o JOIN segments s USING (segment_id)
        JOIN segments t ON t.segment_id = s.reply_to
        WHERE o.task = 'agreement' ORDER BY s.segment_id"""),
}


def export_training_csv(db: str | Path, task: str, out: TextIO) -> int:
    header, sql = EXPORTS[task]
    con = connect_read(db)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    writer = csv.writer(out)
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return len(rows)
