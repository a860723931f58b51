# The side-by-side benchmark's three questions in jq (run by scripts/bench-compare.mjs):
#   zcat FILES... | jq -n -c -f answers.jq
# Reads one CloudTrail document after another from standard input and counts events per
# eventSource, per userIdentity.arn and per UTC hour (the first 13 characters of eventTime,
# YYYY-MM-DDTHH, as CloudTrail writes UTC). Missing, null or empty values, and values of
# the wrong type, count as "(none)", the same rule as every other engine.
def key: if type == "string" and . != "" then . else "(none)" end;
reduce (inputs | .Records[]?) as $r ({service: {}, arn: {}, hour: {}};
  .service[$r.eventSource | key] += 1
  | .arn[($r | try .userIdentity.arn catch null) | key] += 1
  | .hour[($r.eventTime | if type == "string" then .[0:13] else null end) | key] += 1)
