//! The event store: columnar, interned, append-only.
//!
//! Each distinct string (event name, source, region, IP, user agent, ...) is stored once;
//! an event is a row of small integer ids plus its time and flags. Actors are resolved once
//! per distinct identity. Raw records are not kept: each event remembers its [`Origin`] so
//! a view can re-read that one record from its file.

use crate::actor::Identity;
use crate::filter::Client;
use crate::ingest::{EventSink, Origin};
use crate::record::Event;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;

/// Hash maps keyed by strings and ids looked up for every event at ingest: foldhash is a
/// fraction of the cost of std's SipHash on short keys, and its per-process random seed
/// still spreads adversarial keys (these tables only map a key to an id; de-duplication
/// and actor identity keep their own stronger hashes).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

mod part;
pub use part::Part;

/// Id of an interned string; [`NONE`] is the empty string (field absent).
pub type StrId = u32;
/// The id of the empty string.
pub const NONE: StrId = 0;

/// Hashes a key that is already a 64-bit hash (a de-duplication key) by one multiply, so
/// the table's own bits (low for the bucket, high for the tag) are well spread.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, k: u64) {
        self.0 = k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// De-duplication keys (already hashes) → rows, in 64 shards by the key's top bits: a
/// table that grows rehashes every key it holds, and one rehash of a million keys held the
/// page for 40 ms or more; a shard holds a 64th of them.
#[derive(Debug, Default)]
pub struct Seen {
    shards: Vec<HashMap<u64, u32, std::hash::BuildHasherDefault<KeyHasher>>>,
}

impl Seen {
    const SHARDS: usize = 64;

    fn shard(
        &mut self,
        key: u64,
    ) -> &mut HashMap<u64, u32, std::hash::BuildHasherDefault<KeyHasher>> {
        if self.shards.is_empty() {
            self.shards.resize_with(Self::SHARDS, Default::default);
        }
        &mut self.shards[(key >> 58) as usize % Self::SHARDS]
    }

    /// Records `key` for `row` unless it is already there; true if it was new.
    pub fn insert_new(&mut self, key: u64, row: u32) -> bool {
        match self.shard(key).entry(key) {
            Entry::Occupied(_) => false,
            Entry::Vacant(slot) => {
                slot.insert(row);
                true
            }
        }
    }

    /// Makes room for `keys` keys in all, in shards `from..to` (a load makes room a few
    /// shards per task: keys spread evenly, so shards left to grow by themselves would all
    /// rehash within a few merges, 45-55 ms at 5M events).
    pub fn reserve(&mut self, keys: usize, from: usize, to: usize) {
        let per_shard = keys / Self::SHARDS + 1;
        if self.shards.is_empty() {
            self.shards.resize_with(Self::SHARDS, Default::default);
        }
        for shard in self.shards.iter_mut().take(to).skip(from) {
            shard.reserve(per_shard.saturating_sub(shard.len()));
        }
    }

    /// The row recorded for `key`.
    pub fn get(&self, key: u64) -> Option<u32> {
        self.shards
            .get((key >> 58) as usize % Self::SHARDS)
            .and_then(|m| m.get(&key))
            .copied()
    }

    /// Every (key, row).
    pub fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.shards
            .iter()
            .flat_map(|m| m.iter().map(|(&k, &r)| (k, r)))
    }
}

/// One copy of each distinct string.
#[derive(Debug)]
pub struct Interner {
    ids: FastMap<Arc<str>, StrId>,
    strings: Vec<Arc<str>>,
    /// Bytes of all the strings, for the memory estimate.
    bytes: usize,
}

impl Default for Interner {
    fn default() -> Self {
        let empty: Arc<str> = Arc::from("");
        Interner {
            ids: FastMap::from_iter([(empty.clone(), NONE)]),
            strings: vec![empty],
            bytes: 0,
        }
    }
}

impl Interner {
    /// The id of `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> StrId {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = StrId::try_from(self.strings.len()).unwrap_or(StrId::MAX);
        let s: Arc<str> = Arc::from(s);
        self.bytes += s.len();
        self.strings.push(s.clone());
        self.ids.insert(s, id);
        id
    }

    /// The string with this id.
    pub fn get(&self, id: StrId) -> &str {
        self.strings.get(id as usize).map_or("", |s| s)
    }

    /// The id of `s` if it was ever interned.
    pub fn lookup(&self, s: &str) -> Option<StrId> {
        self.ids.get(s).copied()
    }

    /// Number of distinct strings (including the empty one).
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Always false: the empty string is always there.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// When a load stops (see [`Store::memory_guard`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryLimits {
    /// Bytes the store's estimate may reach.
    pub store: u64,
    /// Bytes the wasm instance's memory may reach.
    pub wasm: u64,
}

impl Default for MemoryLimits {
    /// wasm32 caps an instance at 4 GiB and a growing column briefly needs its old and
    /// new copy, so the store stops at 2 GiB of estimate or 3 GiB of real memory: about
    /// 15 million events of typical CloudTrail data.
    fn default() -> Self {
        MemoryLimits {
            store: 2 << 30,
            wasm: 3 << 30,
        }
    }
}

/// Id of an actor in [`Store::actors`].
pub type ActorId = u32;

/// All loaded events, column by column.
#[derive(Debug, Default)]
pub struct Store {
    /// Names of the files loaded, indexed by [`Origin::file`].
    pub files: Vec<String>,
    pub strings: Interner,
    pub actors: Vec<Identity>,
    actor_ids: FastMap<String, ActorId>,
    /// Raw-identity hash → actor, so an identity is resolved once, not once per event.
    actor_by_hash: HashMap<u64, ActorId, std::hash::BuildHasherDefault<KeyHasher>>,
    /// De-duplication key → row, which also finds an event by its `eventID`.
    seen: Seen,
    /// Unix seconds; `i64::MIN` when the time is unknown.
    pub time: Vec<i64>,
    pub actor: Vec<ActorId>,
    pub event_name: Vec<StrId>,
    pub event_source: Vec<StrId>,
    pub region: Vec<StrId>,
    pub source_ip: Vec<StrId>,
    pub user_agent: Vec<StrId>,
    pub error_code: Vec<StrId>,
    pub account: Vec<StrId>,
    pub access_key: Vec<StrId>,
    pub flags: Vec<u8>,
    /// The client kind of each event, classified once per distinct user agent.
    pub client: Vec<Client>,
    client_of_agent: FastMap<StrId, Client>,
    pub origin: Vec<Origin>,
    /// Resources of event `i` are `res_name[res_start[i]..res_start[i + 1]]` (one extra
    /// entry at the end), with their types in `res_type`.
    pub res_start: Vec<u32>,
    pub res_name: Vec<StrId>,
    pub res_type: Vec<StrId>,
    /// `eventID`s: canonical lower-case UUIDs packed in 16 bytes; others in `odd_ids`.
    event_uuid: Vec<u128>,
    odd_ids: HashMap<u32, Box<str>>,
}

/// Marks a row whose `eventID` is not a canonical UUID (it is in `odd_ids`, or absent).
const ODD_ID: u128 = u128::MAX;

/// Packs `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (lower-case hex) into 128 bits.
fn pack_uuid(id: &str) -> Option<u128> {
    let b = id.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let mut v: u128 = 0;
    for (i, &c) in b.iter().enumerate() {
        if [8, 13, 18, 23].contains(&i) {
            continue;
        }
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        v = (v << 4) | u128::from(d);
    }
    (v != ODD_ID).then_some(v)
}

fn unpack_uuid(v: u128) -> String {
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The time value stored for events whose `eventTime` could not be read.
pub const NO_TIME: i64 = i64::MIN;

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Store::default()
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Whether no event is loaded.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Makes room for `rows` events in all (with their resources at the rate seen so far),
    /// so a big load grows its columns while they are small instead of copying them all at
    /// once near the end (at 5M events one such doubling held the page 300-600 ms).
    pub fn reserve_rows(&mut self, rows: usize) {
        let mut column = 0;
        while self.reserve_rows_step(rows, column) {
            column += 1;
        }
    }

    /// One column's part of [`Store::reserve_rows`] (a page does one per task, so growing
    /// a big store copies one column at a time); false once `column` is past the last.
    /// The de-duplication map's 64 shards come last, eight per step (all 64 at once took
    /// 10 ms natively).
    pub fn reserve_rows_step(&mut self, rows: usize, column: usize) -> bool {
        let more = rows.saturating_sub(self.len());
        fn room<T>(v: &mut Vec<T>, more: usize) {
            v.reserve(more);
        }
        match column {
            0 => room(&mut self.time, more),
            1 => room(&mut self.actor, more),
            2 => room(&mut self.event_name, more),
            3 => room(&mut self.event_source, more),
            4 => room(&mut self.region, more),
            5 => room(&mut self.source_ip, more),
            6 => room(&mut self.user_agent, more),
            7 => room(&mut self.error_code, more),
            8 => room(&mut self.account, more),
            9 => room(&mut self.access_key, more),
            10 => room(&mut self.flags, more),
            11 => room(&mut self.client, more),
            12 => room(&mut self.origin, more),
            13 => room(&mut self.res_start, more),
            14 => room(&mut self.event_uuid, more),
            15 | 16 => {
                let per_row = self.res_name.len() as f64 / self.len().max(1) as f64;
                let res = (per_row * more as f64) as usize;
                if column == 15 {
                    room(&mut self.res_name, res);
                } else {
                    room(&mut self.res_type, res);
                }
            }
            c if c < 17 + Seen::SHARDS / 8 => {
                let from = (c - 17) * 8;
                self.seen.reserve(rows, from, from + 8);
            }
            _ => return false,
        }
        true
    }

    /// Whether the columns hold room for `rows` events.
    pub fn has_room_for(&self, rows: usize) -> bool {
        self.time.capacity() >= rows
    }

    /// Every row, in load order: the selection with no filter.
    pub fn all_rows(&self) -> Vec<u32> {
        (0..self.len() as u32).collect()
    }

    /// The row of the event with this `eventID`, if loaded.
    pub fn row_of_event_id(&self, event_id: &str) -> Option<u32> {
        self.seen.get(crate::ingest::event_id_key(event_id))
    }

    /// The `eventID` of row `i` ("" when the record had none).
    pub fn event_id(&self, i: usize) -> String {
        match self.event_uuid.get(i) {
            Some(&ODD_ID) | None => self
                .odd_ids
                .get(&(i as u32))
                .map(|s| s.to_string())
                .unwrap_or_default(),
            Some(&v) => unpack_uuid(v),
        }
    }

    /// The resources (name, type) of row `i`.
    pub fn resources(&self, i: usize) -> impl Iterator<Item = (StrId, StrId)> + '_ {
        let (a, b) = match (self.res_start.get(i), self.res_start.get(i + 1)) {
            (Some(&a), Some(&b)) => (a as usize, b as usize),
            _ => (0, 0),
        };
        (a..b).map(|k| (self.res_name[k], self.res_type[k]))
    }

    /// Registers a source file and returns its number for [`Origin::file`].
    pub fn add_file(&mut self, name: &str) -> u32 {
        self.files.push(name.to_owned());
        u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX)
    }

    /// The id of an event's actor, resolving and adding it if new.
    fn actor_id(&mut self, event: &Event<'_>) -> ActorId {
        let hash = event.identity_hash();
        if let Some(&id) = self.actor_by_hash.get(&hash) {
            return id;
        }
        let identity: Identity = event.identity();
        let id = match self.actor_ids.get(&identity.key) {
            Some(&id) => id,
            None => {
                let id = ActorId::try_from(self.actors.len()).unwrap_or(ActorId::MAX);
                self.actor_ids.insert(identity.key.clone(), id);
                self.actors.push(identity);
                id
            }
        };
        self.actor_by_hash.insert(hash, id);
        id
    }

    /// Rough bytes held (columns with their growth room, the de-duplication set, strings,
    /// actors), for the memory guard; cheap enough to ask after every file.
    pub fn approx_bytes(&self) -> usize {
        let columns = 8 + 4 * 9 + 2 + std::mem::size_of::<Origin>() + 16;
        // A hash map entry (key, row, control byte) at its load factor.
        let seen = (8 + 4 + 1) * 8 / 7;
        let resources = self.res_name.capacity() * 8;
        // Vectors grow by doubling: count the room they hold, not only what they use.
        let rows = self.time.capacity().max(self.len());
        rows * columns
            + self.len() * seen
            + resources
            + self.strings.bytes
            + self.strings.len() * 64
            + self.actors.len() * 400
    }

    /// Whether a load should stop before the next file: the store's estimate is over
    /// `limits.store`, or the wasm memory (everything this instance holds) is over
    /// `limits.wasm`. The problem it returns says how much was loaded and how to narrow the
    /// input.
    pub fn memory_guard(
        &self,
        wasm_bytes: u64,
        limits: MemoryLimits,
        files_done: usize,
        files_total: usize,
    ) -> Option<crate::ingest::ProblemKind> {
        let estimate = self.approx_bytes() as u64;
        if estimate <= limits.store && wasm_bytes <= limits.wasm {
            return None;
        }
        Some(self.memory_stop(wasm_bytes, files_done, files_total))
    }

    /// The problem a load stopped by the memory guard reports, with the store as it is.
    pub fn memory_stop(
        &self,
        wasm_bytes: u64,
        files_done: usize,
        files_total: usize,
    ) -> crate::ingest::ProblemKind {
        crate::ingest::ProblemKind::MemoryLimit {
            events: self.len() as u64,
            megabytes: (self.approx_bytes() as u64).max(wasm_bytes) / 1_000_000,
            files_done: files_done as u64,
            files_total: files_total as u64,
        }
    }
}

impl EventSink for Store {
    fn push(&mut self, e: &Event<'_>, dedup_key: u64, origin: Origin) -> bool {
        let row = u32::try_from(self.time.len()).unwrap_or(u32::MAX);
        if !self.seen.insert_new(dedup_key, row) {
            return false;
        }
        let actor = self.actor_id(e);
        let s = &mut self.strings;
        self.time.push(e.time.unwrap_or(NO_TIME));
        self.actor.push(actor);
        self.event_name.push(s.intern(e.event_name));
        self.event_source.push(s.intern(e.event_source));
        self.region.push(s.intern(e.region));
        self.source_ip.push(s.intern(e.source_ip));
        let ua = s.intern(e.user_agent);
        self.user_agent.push(ua);
        let client = *self
            .client_of_agent
            .entry(ua)
            .or_insert_with(|| Client::classify(e.user_agent));
        self.client.push(client);
        self.error_code.push(s.intern(e.error_code));
        self.account.push(s.intern(e.account));
        self.access_key.push(s.intern(e.access_key));
        self.flags.push(e.flags);
        self.origin.push(origin);
        if self.res_start.is_empty() {
            self.res_start.push(0);
        }
        for (name, kind) in &e.resources {
            self.res_name.push(self.strings.intern(name));
            self.res_type.push(self.strings.intern(kind));
        }
        self.res_start
            .push(u32::try_from(self.res_name.len()).unwrap_or(u32::MAX));
        match pack_uuid(e.event_id) {
            Some(v) => self.event_uuid.push(v),
            None => {
                self.event_uuid.push(ODD_ID);
                if !e.event_id.is_empty() {
                    self.odd_ids.insert(row, e.event_id.into());
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ingest_bytes;

    #[test]
    fn seen_keeps_the_first_row_per_key_across_shards() {
        let mut s = Seen::default();
        assert_eq!(s.get(7), None);
        // Keys spread over every shard (top bits) and within one shard (low bits).
        let keys: Vec<u64> = (0..1000u64)
            .map(|i| (i << 58) ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        for (row, &k) in keys.iter().enumerate() {
            assert!(s.insert_new(k, row as u32));
        }
        for (row, &k) in keys.iter().enumerate() {
            assert!(!s.insert_new(k, 99_999), "duplicate key accepted");
            assert_eq!(s.get(k), Some(row as u32));
        }
        let mut all: Vec<(u64, u32)> = s.iter().collect();
        all.sort_unstable_by_key(|&(_, r)| r);
        assert_eq!(all.len(), keys.len());
        assert!(all.iter().zip(&keys).all(|(&(k, _), &want)| k == want));
    }

    #[test]
    fn seen_makes_room_shard_by_shard_and_keeps_its_keys() {
        let mut s = Seen::default();
        let keys: Vec<u64> = (0..5000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        for (row, &k) in keys.iter().enumerate() {
            s.insert_new(k, row as u32);
        }
        s.reserve(640_000, 0, 8);
        assert!(s.shards[..8].iter().all(|m| m.capacity() >= 10_000));
        assert!(
            s.shards[8..].iter().all(|m| m.capacity() < 10_000),
            "only the shards asked for"
        );
        s.reserve(640_000, 8, 99);
        assert!(s.shards.iter().all(|m| m.capacity() >= 10_000));
        for (row, &k) in keys.iter().enumerate() {
            assert_eq!(s.get(k), Some(row as u32));
        }
        // A store's reservation steps reach the shards too.
        let mut store = Store::new();
        store.reserve_rows(64_000);
        assert!(store.seen.shards.iter().all(|m| m.capacity() >= 1000));
    }

    #[test]
    fn reserving_rows_keeps_the_store_the_same() {
        let doc = br#"{"Records":[{"eventID":"4875188c-6124-4770-ab80-8d44a6a2ff36","eventName":"A","resources":[{"ARN":"x"}]},{"eventID":"4875188c-6124-4770-ab80-8d44a6a2ff37","eventName":"B"}]}"#;
        let mut plain = Store::new();
        ingest_bytes(0, "f", doc, &mut plain);
        let mut reserved = Store::new();
        ingest_bytes(0, "f", doc, &mut reserved);
        reserved.reserve_rows(10_000);
        assert!(reserved.time.capacity() >= 10_000 && reserved.origin.capacity() >= 10_000);
        assert!(reserved.approx_bytes() > plain.approx_bytes());
        // Loading more (including a duplicate) gives the same answers either way.
        for s in [&mut plain, &mut reserved] {
            ingest_bytes(1, "g", doc, s);
        }
        assert_eq!(reserved.len(), 2);
        assert_eq!(reserved.all_rows(), plain.all_rows());
        assert_eq!(reserved.event_id(1), plain.event_id(1));
        assert_eq!(reserved.resources(0).count(), 1);
        reserved.reserve_rows(5); // less than held: nothing happens
    }

    #[test]
    fn interns_each_string_once() {
        let mut i = Interner::default();
        let a = i.intern("ec2.amazonaws.com");
        assert_eq!(i.intern("ec2.amazonaws.com"), a);
        assert_eq!(i.intern(""), NONE);
        assert_eq!(i.get(a), "ec2.amazonaws.com");
        assert_eq!(i.len(), 2);
    }

    #[test]
    fn event_ids_round_trip() {
        let doc = br#"[{"eventID":"4875188c-6124-4770-ab80-8d44a6a2ff36","eventName":"A"},
            {"eventID":"EXAMPLE-9b6f-45f8","eventName":"B"},{"eventName":"C","eventVersion":"1.0"}]"#;
        let mut store = Store::new();
        ingest_bytes(0, "a", doc, &mut store);
        assert_eq!(store.event_id(0), "4875188c-6124-4770-ab80-8d44a6a2ff36");
        assert_eq!(store.event_id(1), "EXAMPLE-9b6f-45f8");
        assert_eq!(store.event_id(2), "");
        assert_eq!(pack_uuid("4875188C-6124-4770-ab80-8d44a6a2ff36"), None);
    }

    #[test]
    fn memory_guard_stops_with_what_was_loaded() {
        let doc = br#"[{"eventName":"A","eventSource":"s"},{"eventName":"B","eventSource":"s"}]"#;
        let mut store = Store::new();
        ingest_bytes(0, "a", doc, &mut store);
        let roomy = MemoryLimits::default();
        assert_eq!(store.memory_guard(10 << 20, roomy, 1, 3), None);
        let estimate = store.approx_bytes() as u64;
        assert!(estimate > 100 && estimate < 10_000, "{estimate}");
        let tight = MemoryLimits {
            store: estimate - 1,
            ..roomy
        };
        let stop = store.memory_guard(10 << 20, tight, 1, 3).unwrap();
        let message = crate::ingest::Problem {
            file: "b.json".into(),
            kind: stop,
        }
        .to_string();
        assert!(
            message.starts_with("b.json: not loaded, nor the 1 file(s) after it"),
            "{message}"
        );
        assert!(message.contains("2 events from 1 of 3 files"), "{message}");
        assert!(message.contains("shorter date range"), "{message}");
        // Real memory over its limit stops too, and is what the message reports.
        let stop = store.memory_guard(3500 << 20, roomy, 1, 3).unwrap();
        assert!(matches!(
            stop,
            crate::ingest::ProblemKind::MemoryLimit {
                megabytes: 3670,
                ..
            }
        ));
    }

    #[test]
    fn duplicates_are_not_counted_twice() {
        let doc =
            br#"{"Records":[{"eventID":"1","eventName":"A"},{"eventID":"2","eventName":"A"}]}"#;
        let mut store = Store::new();
        let r1 = ingest_bytes(0, "a", doc, &mut store);
        let r2 = ingest_bytes(1, "b", doc, &mut store);
        assert_eq!((r1.added, r2.added, r2.duplicates), (2, 0, 2));
        assert_eq!(store.len(), 2);
        assert_eq!(store.strings.get(store.event_name[1]), "A");
    }
}
