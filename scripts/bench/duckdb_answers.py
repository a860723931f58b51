"""The side-by-side benchmark's three questions asked of DuckDB (run by bench-compare.mjs).

    python duckdb_answers.py FILE_LIST OUT.json

Reads the .json.gz files named in FILE_LIST (NUL-separated paths) with read_json (one CloudTrail document per file, its
"Records" array unnested), answers events per eventSource, per userIdentity.arn and per UTC
hour, and writes {"service":{..},"arn":{..},"hour":{..},"seconds":S} to OUT.json. The
time covers the query only (connecting and writing the answers are left out); the caller
measures the whole process too.

Only the three fields are declared (columns=...), as someone who knows the data would write
it: letting DuckDB infer the schema of every record (requestParameters and
responseElements differ per API call) is slower and not what is being compared.
Missing, null or empty values count as "(none)", the same rule as every other engine.
"""

import json
import sys
import time

import duckdb

NONE = "(none)"


def main() -> None:
    list_path, out_path = sys.argv[1], sys.argv[2]
    with open(list_path, encoding="utf-8") as f:
        files = [p for p in f.read().split("\0") if p]
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute(
        f"""
        CREATE TEMP TABLE r AS
        SELECT
            coalesce(nullif(rec.eventSource, ''), '{NONE}') AS service,
            coalesce(nullif(rec.userIdentity.arn, ''), '{NONE}') AS arn,
            -- CloudTrail writes eventTime as YYYY-MM-DDTHH:MM:SSZ (UTC): the hour is the
            -- first 13 characters. Missing times count as (none).
            coalesce(nullif(substr(rec.eventTime, 1, 13), ''), '{NONE}') AS hour
        FROM (
            SELECT unnest(Records) AS rec
            FROM read_json(?,
                format = 'auto',
                compression = 'gzip',
                maximum_object_size = 1073741824,
                columns = {{'Records': 'STRUCT(eventSource VARCHAR, eventTime VARCHAR,
                                              userIdentity STRUCT(arn VARCHAR))[]'}})
        )
        """,
        [files],
    )
    answers = {}
    for key in ("service", "arn", "hour"):
        rows = con.execute(f"SELECT {key}, count(*) FROM r GROUP BY {key}").fetchall()
        answers[key] = {k: n for k, n in rows}
    seconds = time.perf_counter() - start
    answers["seconds"] = seconds
    answers["duckdb"] = duckdb.__version__
    answers["threads"] = con.execute("SELECT current_setting('threads')").fetchone()[0]
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(answers, f)


if __name__ == "__main__":
    main()
