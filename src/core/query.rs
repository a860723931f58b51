//! Aggregations over the store: the overview tiles, counts per actor and per service, and
//! the auto-binned timeline. Views read these; none of them touches JSON again.

use crate::filter::Client;
use crate::record::{flags, service_name};
use crate::store::{ActorId, Store, StrId, NONE, NO_TIME};
use crate::time::format_time;
use std::collections::{BTreeMap, HashMap};

/// The numbers on the overview tiles.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Overview {
    pub events: u64,
    pub actors: u64,
    pub services: u64,
    pub regions: u64,
    /// Events with an `errorCode`.
    pub errors: u64,
    pub insights: u64,
    /// Events whose time could not be read.
    pub bad_times: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
}

/// Computes the overview tiles over the selected rows, in one pass.
pub fn overview(store: &Store, rows: &[u32]) -> Overview {
    let mut actor_seen = vec![false; store.actors.len()];
    let mut string_seen = vec![0u8; store.strings.len()];
    const SOURCE: u8 = 1;
    const REGION: u8 = 2;
    let mut o = Overview {
        events: rows.len() as u64,
        ..Overview::default()
    };
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for &r in rows {
        let i = r as usize;
        let a = store.actor[i] as usize;
        if !actor_seen[a] {
            actor_seen[a] = true;
            o.actors += 1;
        }
        for (id, bit) in [(store.event_source[i], SOURCE), (store.region[i], REGION)] {
            let seen = &mut string_seen[id as usize];
            if id != NONE && *seen & bit == 0 {
                *seen |= bit;
                if bit == SOURCE {
                    o.services += 1;
                } else {
                    o.regions += 1;
                }
            }
        }
        if store.error_code[i] != NONE {
            o.errors += 1;
        }
        if store.flags[i] & flags::INSIGHT != 0 {
            o.insights += 1;
        }
        let t = store.time[i];
        if t == NO_TIME {
            o.bad_times += 1;
        } else {
            first = first.min(t);
            last = last.max(t);
        }
    }
    if first <= last {
        o.first = Some(first);
        o.last = Some(last);
    }
    o
}

/// One row of a per-actor or per-service table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What the table shows.
    pub label: String,
    /// The stable key behind the label (actor key, or `eventSource`).
    pub key: String,
    /// A longer description for hover text.
    pub detail: String,
    pub count: u64,
    pub errors: u64,
}

/// Events per actor, most active first; labels that collide across accounts show the account.
pub fn by_actor(store: &Store, rows: &[u32]) -> Vec<Row> {
    let mut counts = vec![(0u64, 0u64); store.actors.len()];
    for &r in rows {
        let (a, e) = (store.actor[r as usize], store.error_code[r as usize]);
        let c = &mut counts[a as usize];
        c.0 += 1;
        if e != NONE {
            c.1 += 1;
        }
    }
    let mut label_uses: HashMap<&str, u32> = HashMap::new();
    for (id, actor) in store.actors.iter().enumerate() {
        if counts[id].0 > 0 {
            *label_uses.entry(actor.label.as_str()).or_default() += 1;
        }
    }
    let mut rows: Vec<Row> = (0..store.actors.len() as ActorId)
        .filter(|&id| counts[id as usize].0 > 0)
        .map(|id| {
            let a = &store.actors[id as usize];
            let label = if label_uses.get(a.label.as_str()).copied().unwrap_or(0) > 1
                && !a.account.is_empty()
            {
                format!("{} · {}", a.label, a.account)
            } else {
                a.label.clone()
            };
            Row {
                label,
                key: a.key.clone(),
                detail: a.describe(),
                count: counts[id as usize].0,
                errors: counts[id as usize].1,
            }
        })
        .collect();
    sort_rows(&mut rows);
    rows
}

/// Events per service (`eventSource`), most used first.
pub fn by_service(store: &Store, rows: &[u32]) -> Vec<Row> {
    by_column(store, rows, &store.event_source, service_name)
}

/// Events per distinct value of one interned column, most frequent first; `label` turns a
/// value into what the table shows (the key column keeps the raw value).
pub fn by_column(
    store: &Store,
    rows: &[u32],
    column: &[StrId],
    label: impl Fn(&str) -> String,
) -> Vec<Row> {
    // Count densely by string id (a flat array beats hashing per row), then keep the
    // values that occur.
    let mut counts = vec![(0u64, 0u64); store.strings.len()];
    for &r in rows {
        let c = &mut counts[column[r as usize] as usize];
        c.0 += 1;
        if store.error_code[r as usize] != NONE {
            c.1 += 1;
        }
    }
    let mut out: Vec<Row> = counts
        .into_iter()
        .enumerate()
        .filter(|(_, (count, _))| *count > 0)
        .map(|(s, (count, errors))| {
            let s = s as StrId;
            let value = store.strings.get(s);
            Row {
                label: label(value),
                key: value.to_owned(),
                detail: value.to_owned(),
                count,
                errors,
            }
        })
        .collect();
    sort_rows(&mut out);
    out
}

/// Events per client kind (console, CLI, SDK, Terraform, AWS service, other).
pub fn by_client(store: &Store, rows: &[u32]) -> Vec<Row> {
    // Counted by the enum's index: a hash per row cost 20 ms at a million events.
    let mut counts = [(0u64, 0u64); Client::ALL.len()];
    for &r in rows {
        let i = r as usize;
        let c = &mut counts[store.client[i] as usize % Client::ALL.len()];
        c.0 += 1;
        c.1 += u64::from(store.error_code[i] != NONE);
    }
    let mut out: Vec<Row> = Client::ALL
        .iter()
        .zip(counts)
        .filter(|(_, (count, _))| *count > 0)
        .map(|(c, (count, errors))| Row {
            label: c.as_str().to_owned(),
            key: c.as_str().to_owned(),
            detail: c.as_str().to_owned(),
            count,
            errors,
        })
        .collect();
    sort_rows(&mut out);
    out
}

fn sort_rows(rows: &mut [Row]) {
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
}

/// The first `n` rows, with the rest folded into one "others" row.
pub fn top_n(rows: &[Row], n: usize) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = rows
        .iter()
        .take(n)
        .map(|r| (r.label.clone(), r.count))
        .collect();
    if rows.len() > n {
        let rest: u64 = rows[n..].iter().map(|r| r.count).sum();
        out.push((format!("{} others", rows.len() - n), rest));
    }
    out
}

/// Events per actor × service for the most active of each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Matrix {
    /// Row heads: the top actors (label, key).
    pub actors: Vec<(String, String)>,
    /// Column heads: the top services (label, eventSource).
    pub services: Vec<(String, String)>,
    /// `counts[a][s]`: events of actor `a` on service `s`.
    pub counts: Vec<Vec<u64>>,
    pub max: u64,
}

/// The actor × service matrix for the given top actors and services (rows of
/// [`by_actor`] and [`by_service`] over the same selection).
pub fn matrix(store: &Store, rows: &[u32], actors: &[Row], services: &[Row]) -> Matrix {
    // Map actor ids and string ids to matrix positions once; then count by integer index.
    let mut actor_pos = vec![usize::MAX; store.actors.len()];
    for (i, r) in actors.iter().enumerate() {
        if let Some(id) = store.actors.iter().position(|a| a.key == r.key) {
            actor_pos[id] = i;
        }
    }
    let mut service_pos = vec![usize::MAX; store.strings.len()];
    for (i, r) in services.iter().enumerate() {
        if let Some(id) = store.strings.lookup(&r.key) {
            service_pos[id as usize] = i;
        }
    }
    let mut counts = vec![vec![0u64; services.len()]; actors.len()];
    for &r in rows {
        let a = actor_pos[store.actor[r as usize] as usize];
        let s = service_pos[store.event_source[r as usize] as usize];
        if a != usize::MAX && s != usize::MAX {
            counts[a][s] += 1;
        }
    }
    let max = counts.iter().flatten().copied().max().unwrap_or(0);
    Matrix {
        actors: actors
            .iter()
            .map(|r| (r.label.clone(), r.key.clone()))
            .collect(),
        services: services
            .iter()
            .map(|r| (r.label.clone(), r.key.clone()))
            .collect(),
        counts,
        max,
    }
}

/// Columns the event table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Time,
    EventName,
    Actor,
    Service,
    Region,
    SourceIp,
    Error,
    Resource,
}

/// Keeps the rows of `order` that are in `rows` (a selection), in `order`'s order: a sorted
/// view of a selection in O(n), given the whole store sorted once.
pub fn restrict(order: &[u32], rows: &[u32], len: usize) -> Vec<u32> {
    let mut member = vec![false; len];
    for &r in rows {
        if let Some(m) = member.get_mut(r as usize) {
            *m = true;
        }
    }
    order
        .iter()
        .copied()
        .filter(|&r| member.get(r as usize).copied().unwrap_or(false))
        .collect()
}

/// The rows ordered by a column (ties keep time order, then row order); strings sort
/// alphabetically.
pub fn sorted(store: &Store, rows: &[u32], key: SortKey, descending: bool) -> Vec<u32> {
    let mut step = StepSort::new(store, rows.to_vec(), key);
    while !step.step(store, usize::MAX) {}
    let mut out = step.into_rows();
    if descending {
        out.reverse();
    }
    out
}

/// The rows ordered by a column (as [`sorted`]), a step at a time, so a page can yield
/// between steps: sorted runs of [`StepSort::RUN`] rows, then merge passes that each step
/// advances by a bounded number of rows. At five million rows the sort in one go held the
/// page 300-430 ms. Rows are compared by (column rank, time, row), read from the store.
pub struct StepSort {
    key: SortKey,
    /// Rank of each string (or each actor, for [`SortKey::Actor`]) in alphabetical order.
    rank: Vec<u32>,
    rows: Vec<u32>,
    buf: Vec<u32>,
    /// Runs of this length are sorted (0 until the runs are made).
    width: usize,
    /// Runs sorted so far (first phase), or the merge in progress: the pair starting at
    /// `lo`, with `i`, `j` reading its two runs and `k` writing.
    next_run: usize,
    lo: usize,
    i: usize,
    j: usize,
    k: usize,
}

impl StepSort {
    /// Rows per sorted run (and the most one step sorts).
    pub const RUN: usize = 1 << 17;

    pub fn new(store: &Store, rows: Vec<u32>, key: SortKey) -> StepSort {
        let rank = match key {
            SortKey::Time => Vec::new(),
            SortKey::Actor => {
                let mut ids: Vec<usize> = (0..store.actors.len()).collect();
                ids.sort_by(|a, b| store.actors[*a].label.cmp(&store.actors[*b].label));
                let mut rank = vec![0u32; ids.len()];
                for (r, id) in ids.into_iter().enumerate() {
                    rank[id] = r as u32;
                }
                rank
            }
            _ => {
                let mut ids: Vec<StrId> = (0..store.strings.len() as StrId).collect();
                ids.sort_by(|a, b| store.strings.get(*a).cmp(store.strings.get(*b)));
                let mut rank = vec![0u32; ids.len()];
                for (r, id) in ids.into_iter().enumerate() {
                    rank[id as usize] = r as u32;
                }
                rank
            }
        };
        StepSort {
            key,
            rank,
            rows,
            buf: Vec::new(),
            width: 0,
            next_run: 0,
            lo: 0,
            i: 0,
            j: 0,
            k: 0,
        }
    }

    /// What row `r` is ordered by (unique, so the order is the same whatever the order
    /// the rows were given in).
    fn key_of(&self, store: &Store, row: u32) -> (u32, i64, u32) {
        // Read with `get`: a page may hand a store that changed between steps (its answer
        // is then dropped), which must not panic.
        let r = row as usize;
        let rank = |col: &[StrId]| {
            col.get(r)
                .and_then(|&id| self.rank.get(id as usize))
                .copied()
                .unwrap_or(0)
        };
        let first = match self.key {
            SortKey::Time => 0,
            SortKey::EventName => rank(&store.event_name),
            SortKey::Service => rank(&store.event_source),
            SortKey::Region => rank(&store.region),
            SortKey::SourceIp => rank(&store.source_ip),
            SortKey::Error => rank(&store.error_code),
            SortKey::Resource => store
                .resources(r)
                .next()
                .and_then(|(n, _)| self.rank.get(n as usize))
                .copied()
                .unwrap_or(0),
            SortKey::Actor => rank(&store.actor),
        };
        (first, store.time.get(r).copied().unwrap_or(NO_TIME), row)
    }

    /// Does about `budget` rows' worth of work (at least one run or merge piece) on the
    /// store the sort was made for; true when the rows are sorted.
    pub fn step(&mut self, store: &Store, budget: usize) -> bool {
        let n = self.rows.len();
        if self.width == 0 {
            let start = self.next_run * Self::RUN;
            if start < n {
                let mut run = std::mem::take(&mut self.rows);
                // Stable and adaptive: rows in load order are nearly in time order.
                run[start..(start + Self::RUN).min(n)].sort_by_key(|&r| self.key_of(store, r));
                self.rows = run;
                self.next_run += 1;
                return false;
            }
            self.width = Self::RUN;
            self.start_pair(0);
        }
        if self.width >= n {
            self.buf = Vec::new();
            return true;
        }
        if self.buf.len() != n {
            self.buf = vec![0; n];
        }
        let mut left = budget.max(1);
        while left > 0 {
            let (lo, w) = (self.lo, self.width);
            let mid = (lo + w).min(n);
            let hi = (lo + 2 * w).min(n);
            // Runs already in order (common: load order is nearly time order) are copied.
            if self.k == lo
                && (mid == hi
                    || self.key_of(store, self.rows[mid - 1]) <= self.key_of(store, self.rows[mid]))
            {
                self.buf[lo..hi].copy_from_slice(&self.rows[lo..hi]);
                self.k = hi;
                left = left.saturating_sub((hi - lo) / 16);
            }
            // Merge as much of this pair as the budget allows.
            let until = self.k.saturating_add(left).min(hi);
            left -= until - self.k;
            while self.k < until {
                let take_left = self.j >= hi
                    || (self.i < mid
                        && self.key_of(store, self.rows[self.i])
                            <= self.key_of(store, self.rows[self.j]));
                self.buf[self.k] = if take_left {
                    self.i += 1;
                    self.rows[self.i - 1]
                } else {
                    self.j += 1;
                    self.rows[self.j - 1]
                };
                self.k += 1;
            }
            if self.k < hi {
                continue;
            }
            if hi < n {
                self.start_pair(hi);
            } else {
                // The pass is done: the merged rows become the rows.
                std::mem::swap(&mut self.rows, &mut self.buf);
                self.width *= 2;
                if self.width >= n {
                    self.buf = Vec::new();
                    return true;
                }
                self.start_pair(0);
            }
        }
        false
    }

    fn start_pair(&mut self, lo: usize) {
        self.lo = lo;
        self.i = lo;
        self.j = (lo + self.width).min(self.rows.len());
        self.k = lo;
    }

    /// The rows in order (call when [`StepSort::step`] said done).
    pub fn into_rows(self) -> Vec<u32> {
        self.rows
    }
}

/// Events over time, split into reads and writes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timeline {
    /// Start of the first bin (Unix seconds, aligned to the bin width).
    pub start: i64,
    /// Width of each bin in seconds.
    pub bin: i64,
    pub reads: Vec<u64>,
    pub writes: Vec<u64>,
}

impl Timeline {
    /// Start time of bin `i`.
    pub fn bin_start(&self, i: usize) -> i64 {
        self.start + self.bin * i as i64
    }
}

/// Bin widths a person reads easily, smallest first.
const BINS: &[i64] = &[
    60,
    5 * 60,
    15 * 60,
    30 * 60,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    7 * 86_400,
    30 * 86_400,
    365 * 86_400,
];

fn ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1) / b
}

/// The auto-binned timeline: the smallest readable bin width giving at most `max_bins` bins.
pub fn timeline(store: &Store, rows: &[u32], max_bins: usize) -> Timeline {
    let times = rows
        .iter()
        .map(|&r| store.time[r as usize])
        .filter(|&t| t != NO_TIME);
    let (first, last) = times.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    if first > last {
        return Timeline::default();
    }
    let span = last - first + 1;
    let max_bins = max_bins.max(1) as i64;
    let bin = BINS
        .iter()
        .copied()
        .find(|b| ceil_div(span, *b) < max_bins)
        .unwrap_or_else(|| ceil_div(span, max_bins).max(1));
    let start = first - first.rem_euclid(bin);
    let n = ((last - start) / bin + 1) as usize;
    let mut t = Timeline {
        start,
        bin,
        reads: vec![0; n],
        writes: vec![0; n],
    };
    for &r in rows {
        let (time, f) = (store.time[r as usize], store.flags[r as usize]);
        if time == NO_TIME {
            continue;
        }
        let i = ((time - start) / bin) as usize;
        if f & flags::READ_ONLY != 0 {
            t.reads[i] += 1;
        } else {
            t.writes[i] += 1;
        }
    }
    t
}

/// Tallest scroll space the event table makes: browsers cap an element's height (Chrome near
/// 33.5 M px, Firefox lower), so past this the scroll position is scaled onto the rows.
pub const MAX_SCROLL_SPACE: f64 = 8_000_000.0;

/// Which rows of a virtualised list to draw for a scroll position, and where.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VirtualWindow {
    /// Height of the scroll space in pixels.
    pub space: f64,
    /// First row to draw.
    pub first: usize,
    /// One past the last row to draw.
    pub end: usize,
    /// Row `i` is drawn at `i * row_height + shift` pixels from the top of the space.
    pub shift: f64,
}

/// The rows to draw for `rows` rows of `row_height` px seen through a `viewport` px window
/// scrolled to `scroll_top`, with `overscan` extra rows each side. When the rows are taller
/// than `max_space`, the space is `max_space` and the scroll position maps proportionally
/// onto the rows, so the last row is still reachable with 5 M rows.
pub fn virtual_window(
    scroll_top: f64,
    viewport: f64,
    row_height: f64,
    rows: usize,
    overscan: usize,
    max_space: f64,
) -> VirtualWindow {
    let total = rows as f64 * row_height;
    let space = total.min(max_space);
    let scroll_top = scroll_top.clamp(0.0, (space - viewport).max(0.0));
    // The position in the full-height list that this scroll position stands for.
    let virtual_top = if total > space && space > viewport {
        scroll_top * (total - viewport) / (space - viewport)
    } else {
        scroll_top
    };
    let first_visible = (virtual_top / row_height).floor() as usize;
    let first = first_visible.saturating_sub(overscan).min(rows);
    let end = (first_visible + (viewport / row_height).ceil() as usize + overscan + 1).min(rows);
    VirtualWindow {
        space,
        first,
        end,
        shift: scroll_top - virtual_top,
    }
}

/// The key under which [`tallies`] counts an event whose value is missing or empty.
pub const NO_VALUE: &str = "(none)";

/// Events per service, per actor ARN and per UTC hour, over every loaded event: the three
/// questions `scripts/bench-compare.mjs` asks of Trailglass and of other engines, so their
/// answers can be compared in full.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Tallies {
    /// Events per `eventSource`.
    pub service: BTreeMap<String, u64>,
    /// Events per `userIdentity.arn` (as the store keeps it: the ARN of the event's actor).
    pub arn: BTreeMap<String, u64>,
    /// Events per hour, keyed `YYYY-MM-DDTHH` (UTC).
    pub hour: BTreeMap<String, u64>,
}

impl Tallies {
    /// The tallies as one JSON object `{"service":{..},"arn":{..},"hour":{..}}`.
    pub fn to_json(&self) -> String {
        // Maps of strings to integers always serialise; the fallback is never taken.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Counts every loaded event by service, actor ARN and UTC hour; a missing or empty value
/// (no `eventSource`, no ARN, an unreadable `eventTime`) counts under [`NO_VALUE`].
///
/// The store keeps one ARN per actor, not per event, so two ARNs that resolve to the same
/// actor (role sessions sharing a `sourceIdentity`) count under the first one seen.
pub fn tallies(store: &Store) -> Tallies {
    let name = |s: &str| {
        if s.is_empty() {
            NO_VALUE.to_owned()
        } else {
            s.to_owned()
        }
    };
    let mut out = Tallies::default();
    // Count densely by id, then name the ids that occur (as `by_column` does).
    let mut per_source = vec![0u64; store.strings.len()];
    let mut per_actor = vec![0u64; store.actors.len()];
    let mut per_hour: HashMap<i64, u64> = HashMap::new();
    for i in 0..store.len() {
        per_source[store.event_source[i] as usize] += 1;
        per_actor[store.actor[i] as usize] += 1;
        let t = store.time[i];
        let hour = if t == NO_TIME {
            NO_TIME
        } else {
            t.div_euclid(3600)
        };
        *per_hour.entry(hour).or_default() += 1;
    }
    for (id, &n) in per_source.iter().enumerate().filter(|(_, &n)| n > 0) {
        *out.service
            .entry(name(store.strings.get(id as StrId)))
            .or_default() += n;
    }
    for (actor, &n) in per_actor.iter().enumerate().filter(|(_, &n)| n > 0) {
        *out.arn.entry(name(&store.actors[actor].arn)).or_default() += n;
    }
    for (hour, n) in per_hour {
        let key = if hour == NO_TIME {
            NO_VALUE.to_owned()
        } else {
            // `2014-03-06T21:00:00Z` -> `2014-03-06T21`.
            let full = format_time(hour * 3600);
            full.get(..13).unwrap_or(&full).to_owned()
        };
        *out.hour.entry(key).or_default() += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ingest::ingest_bytes;

    fn store(json: &str) -> Store {
        let mut s = Store::new();
        ingest_bytes(0, "t", json.as_bytes(), &mut s);
        s
    }

    const DOC: &str = r#"[
      {"eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","accountId":"1","userName":"alice"}},
      {"eventTime":"2024-01-01T00:30:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","errorCode":"AccessDenied","userIdentity":{"type":"IAMUser","accountId":"2","userName":"alice"}},
      {"eventTime":"bad","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","userIdentity":{"type":"Root","accountId":"1"}}
    ]"#;

    #[test]
    fn step_sort_matches_a_stable_sort() {
        // Many rows with few distinct times, so runs, merge passes and ties all count.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let n = 3 * StepSort::RUN + 12_345;
        let mut random = Store::new();
        random.time = (0..n).map(|_| (next() % 1000) as i64).collect();
        // Nearly in time order, as loads usually are: most runs need no merging.
        let mut nearly = Store::new();
        nearly.time = (0..n as i64)
            .map(|t| t / 3 - i64::from(t % 1000 == 7) * 50)
            .collect();
        let all: Vec<u32> = (0..n as u32).collect();
        let cases = [
            (&random, Vec::new()),
            (&random, vec![5, 1, 3]),
            (&random, all.iter().rev().copied().collect::<Vec<_>>()),
            (&nearly, all.clone()),
        ];
        for (store, rows) in cases {
            let mut want = rows.clone();
            want.sort_by_key(|&r| (store.time[r as usize], r));
            for budget in [7_777, usize::MAX] {
                let mut step = StepSort::new(store, rows.clone(), SortKey::Time);
                let mut steps = 0;
                while !step.step(store, budget) {
                    steps += 1;
                }
                if budget == 7_777 && rows.len() == n && std::ptr::eq(store, &random) {
                    assert!(steps > 4 + n / 7_777, "{steps} steps");
                }
                assert!(
                    step.into_rows() == want,
                    "{} rows, budget {budget}",
                    rows.len()
                );
            }
        }
    }

    #[test]
    fn overview_counts() {
        let s = store(DOC);
        let o = overview(&s, &s.all_rows());
        assert_eq!(
            (
                o.events,
                o.actors,
                o.services,
                o.regions,
                o.errors,
                o.bad_times
            ),
            (3, 3, 2, 2, 1, 1)
        );
        assert_eq!(o.last.unwrap() - o.first.unwrap(), 1800);
    }

    #[test]
    fn actors_with_colliding_names_show_account() {
        let s = store(DOC);
        let rows = by_actor(&s, &s.all_rows());
        let labels: Vec<_> = rows.iter().map(|r| r.label.as_str()).collect();
        assert!(labels.contains(&"alice · 1") && labels.contains(&"alice · 2"));
        assert!(labels.contains(&"root (1)"));
    }

    #[test]
    fn services_and_top_n() {
        let s = store(DOC);
        let rows = by_service(&s, &s.all_rows());
        assert_eq!(rows[0].label, "EC2");
        assert_eq!(rows[0].count, 2);
        assert_eq!(
            top_n(&rows, 1),
            vec![("EC2".into(), 2), ("1 others".into(), 1)]
        );
    }

    #[test]
    fn actor_service_matrix() {
        let s = store(DOC);
        let all = s.all_rows();
        let m = matrix(&s, &all, &by_actor(&s, &all), &by_service(&s, &all));
        assert_eq!(m.counts.iter().flatten().sum::<u64>(), 3);
        assert_eq!(m.max, 1);
        assert_eq!(m.services[0].1, "ec2.amazonaws.com");
    }

    #[test]
    fn sorting() {
        let s = store(DOC);
        let all = s.all_rows();
        assert_eq!(sorted(&s, &all, SortKey::Time, false), [2, 0, 1]);
        // Step by step (runs, then merge pieces of one row) gives the same order.
        let mut step = StepSort::new(&s, all.clone(), SortKey::EventName);
        while !step.step(&s, 1) {}
        assert_eq!(
            step.into_rows(),
            sorted(&s, &all, SortKey::EventName, false)
        );
        assert_eq!(sorted(&s, &all, SortKey::Time, true), [1, 0, 2]);
        assert_eq!(sorted(&s, &all, SortKey::EventName, false), [1, 2, 0]);
        assert_eq!(sorted(&s, &all, SortKey::Service, false)[2], 2);
        assert_eq!(sorted(&s, &all, SortKey::Actor, false)[2], 2);
    }

    #[test]
    fn time_sort_matches_a_plain_sort_with_ties_and_unknown_times() {
        // Times out of order, repeated, and missing or unparseable (unknown).
        let times = [
            "2024-01-02T00:00:00Z",
            "bad",
            "2024-01-01T00:00:00Z",
            "2024-01-02T00:00:00Z",
            "",
            "2023-12-31T23:59:59Z",
            "2024-01-01T00:00:00Z",
        ];
        let doc: Vec<String> = times
            .iter()
            .enumerate()
            .map(|(i, t)| format!(r#"{{"eventID":"e{i}","eventTime":"{t}","eventName":"X"}}"#))
            .collect();
        let s = store(&format!("[{}]", doc.join(",")));
        assert_eq!(s.len(), times.len());
        let rows: Vec<u32> = vec![6, 0, 5, 1, 3, 2, 4];
        let mut want = rows.clone();
        want.sort_by_key(|&r| (s.time[r as usize], r));
        assert_eq!(sorted(&s, &rows, SortKey::Time, false), want);
        assert_eq!(&want[..2], [1, 4], "unknown times first");
        let mut desc = want.clone();
        desc.reverse();
        assert_eq!(sorted(&s, &rows, SortKey::Time, true), desc);
    }

    #[test]
    fn timeline_bins_reads_and_writes() {
        let s = store(DOC);
        let t = timeline(&s, &s.all_rows(), 60);
        assert_eq!(t.bin, 60);
        assert_eq!(t.reads.iter().sum::<u64>(), 1);
        assert_eq!(t.writes.iter().sum::<u64>(), 1);
        assert_eq!(t.reads.len(), 31);
    }

    #[test]
    fn virtual_window_plain_when_small() {
        let w = virtual_window(300.0, 480.0, 30.0, 1000, 8, MAX_SCROLL_SPACE);
        assert_eq!(w.space, 30_000.0);
        assert_eq!(w.shift, 0.0);
        assert_eq!(w.first, 2);
        assert!(w.end >= 10 + 16 && w.end <= 1000);
    }

    #[test]
    fn virtual_window_scales_a_million_rows_and_reaches_the_last() {
        let rows = 5_000_000;
        let (rh, vp) = (30.0, 480.0);
        let top = virtual_window(0.0, vp, rh, rows, 8, MAX_SCROLL_SPACE);
        assert_eq!(top.space, MAX_SCROLL_SPACE);
        assert_eq!(top.first, 0);
        let bottom = virtual_window(MAX_SCROLL_SPACE - vp, vp, rh, rows, 8, MAX_SCROLL_SPACE);
        assert_eq!(bottom.end, rows);
        // The last row is drawn inside the viewport at the bottom of the space.
        let last_top = (rows - 1) as f64 * rh + bottom.shift;
        assert!(last_top >= MAX_SCROLL_SPACE - vp && last_top + rh <= MAX_SCROLL_SPACE + 0.01);
        // Half-way scrolls to about half-way through the rows.
        let mid = virtual_window(
            (MAX_SCROLL_SPACE - vp) / 2.0,
            vp,
            rh,
            rows,
            8,
            MAX_SCROLL_SPACE,
        );
        assert!((mid.first as f64 - rows as f64 / 2.0).abs() < 100.0);
        // The rows drawn cover the viewport.
        let shown_top = mid.first as f64 * rh + mid.shift;
        let scroll = (MAX_SCROLL_SPACE - vp) / 2.0;
        assert!(shown_top <= scroll && mid.end as f64 * rh + mid.shift >= scroll + vp);
    }

    #[test]
    fn virtual_window_handles_empty_and_overscroll() {
        let w = virtual_window(1e9, 480.0, 30.0, 0, 8, MAX_SCROLL_SPACE);
        assert_eq!((w.first, w.end), (0, 0));
        let w = virtual_window(1e9, 480.0, 30.0, 3, 8, MAX_SCROLL_SPACE);
        assert_eq!((w.first, w.end), (0, 3));
    }

    #[test]
    fn tallies_count_service_arn_and_utc_hour() {
        // An offset time that is another hour in UTC, a bad time, no identity, an AWS
        // service (no ARN), no eventSource, and a duplicate (same eventID) counted once.
        let s = store(
            r#"[
          {"eventID":"a","eventTime":"2024-01-01T00:10:00Z","eventSource":"ec2.amazonaws.com","userIdentity":{"type":"IAMUser","accountId":"1","userName":"alice","arn":"arn:aws:iam::1:user/alice"}},
          {"eventID":"b","eventTime":"2024-01-01T02:59:59+02:00","eventSource":"ec2.amazonaws.com","userIdentity":{"type":"IAMUser","accountId":"1","userName":"alice","arn":"arn:aws:iam::1:user/alice"}},
          {"eventID":"c","eventTime":"2024-01-01T01:00:00Z","eventSource":"s3.amazonaws.com","userIdentity":{"type":"AWSService","invokedBy":"s3.amazonaws.com"}},
          {"eventID":"d","eventTime":"bad","eventSource":"s3.amazonaws.com"},
          {"eventID":"e","eventTime":"2024-01-01T01:30:00Z","eventName":"X","userIdentity":{"type":"Root","accountId":"1","arn":"arn:aws:iam::1:root"}},
          {"eventID":"a","eventTime":"2024-01-01T00:10:00Z","eventSource":"ec2.amazonaws.com","userIdentity":{"type":"IAMUser","accountId":"1","userName":"alice","arn":"arn:aws:iam::1:user/alice"}}
        ]"#,
        );
        let t = tallies(&s);
        let map = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
            pairs.iter().map(|&(k, n)| (k.to_owned(), n)).collect()
        };
        assert_eq!(
            t.service,
            map(&[
                ("(none)", 1),
                ("ec2.amazonaws.com", 2),
                ("s3.amazonaws.com", 2)
            ])
        );
        assert_eq!(
            t.arn,
            map(&[
                ("(none)", 2),
                ("arn:aws:iam::1:root", 1),
                ("arn:aws:iam::1:user/alice", 2)
            ])
        );
        assert_eq!(
            t.hour,
            map(&[("(none)", 1), ("2024-01-01T00", 2), ("2024-01-01T01", 2)])
        );
        let json: serde_json::Value = serde_json::from_str(&t.to_json()).unwrap();
        assert_eq!(json["service"]["ec2.amazonaws.com"], 2);
        assert_eq!(json["hour"]["2024-01-01T00"], 2);
        assert_eq!(json["arn"]["(none)"], 2);
    }

    #[test]
    fn tallies_of_an_empty_store_are_empty() {
        let t = tallies(&Store::new());
        assert_eq!(t.to_json(), r#"{"service":{},"arn":{},"hour":{}}"#);
    }
}
