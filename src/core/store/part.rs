//! One file's events crossing from a Web Worker to the page.
//!
//! A worker loads a file into a [`Store`] of its own, then [`Store::pack`]s it into one byte
//! buffer: a magic tag, a JSON header (the file's report, its distinct strings and actors,
//! the odd event ids), then every column as little-endian integers. The page
//! [`Part::unpack`]s it and [`Store::absorb`]s it: strings and actors are re-interned once
//! per distinct value, rows are copied with their ids remapped, and events already in the
//! page's store (the same record in another file, or loaded by another worker) are skipped,
//! exactly as if the page had parsed the file itself.

use super::{ActorId, Store, StrId, NONE, ODD_ID};
use crate::actor::Identity;
use crate::filter::Client;
use crate::ingest::{FileReport, Origin};

const MAGIC: &[u8; 4] = b"TGP1";

#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    report: FileReport,
    rows: u32,
    resources: u32,
    /// Strings by id, without the empty string (id 0).
    strings: Vec<String>,
    actors: Vec<Identity>,
    odd_ids: Vec<(u32, String)>,
}

/// A packed file's events, unpacked and checked, ready to be absorbed.
#[derive(Debug, Default)]
pub struct Part {
    /// The report of the file, as the worker made it (before cross-file de-duplication).
    pub report: FileReport,
    strings: Vec<String>,
    actors: Vec<Identity>,
    odd_ids: Vec<(u32, String)>,
    keys: Vec<u64>,
    time: Vec<i64>,
    actor: Vec<ActorId>,
    text: [Vec<StrId>; 8],
    flags: Vec<u8>,
    client: Vec<u8>,
    offset: Vec<u64>,
    len: Vec<u32>,
    res_start: Vec<u32>,
    res_name: Vec<StrId>,
    res_type: Vec<StrId>,
    uuid: Vec<u128>,
}

impl Part {
    /// Number of events in the part.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Whether the part holds no event.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Reads what [`Store::pack`] wrote; any inconsistency is an error, never a panic.
    pub fn unpack(bytes: &[u8]) -> Result<Part, String> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(4)? != MAGIC {
            return Err("not a packed part".into());
        }
        let header_len = u32::from_le_bytes(r.array()?) as usize;
        let header: Header = serde_json::from_slice(r.take(header_len)?)
            .map_err(|e| format!("bad part header: {e}"))?;
        let n = header.rows as usize;
        let m = header.resources as usize;
        let mut part = Part {
            keys: r.column(n, u64::from_le_bytes)?,
            time: r.column(n, i64::from_le_bytes)?,
            actor: r.column(n, u32::from_le_bytes)?,
            ..Part::default()
        };
        for col in &mut part.text {
            *col = r.column(n, u32::from_le_bytes)?;
        }
        part.flags = r.take(n)?.to_vec();
        part.client = r.take(n)?.to_vec();
        part.offset = r.column(n, u64::from_le_bytes)?;
        part.len = r.column(n, u32::from_le_bytes)?;
        part.res_start = r.column(n + 1, u32::from_le_bytes)?;
        part.res_name = r.column(m, u32::from_le_bytes)?;
        part.res_type = r.column(m, u32::from_le_bytes)?;
        part.uuid = r.column(n, u128::from_le_bytes)?;
        if r.at != bytes.len() {
            return Err("trailing bytes after the part".into());
        }
        let strings = header.strings.len() + 1;
        let ids_ok = part
            .text
            .iter()
            .chain([&part.res_name, &part.res_type])
            .all(|col| col.iter().all(|&id| (id as usize) < strings));
        let actors_ok = part
            .actor
            .iter()
            .all(|&a| (a as usize) < header.actors.len());
        let starts_ok = part.res_start.first() == Some(&0)
            && part.res_start.windows(2).all(|w| w[0] <= w[1])
            && part.res_start.last().is_some_and(|&e| e as usize == m);
        let clients_ok = part
            .client
            .iter()
            .all(|&c| (c as usize) < Client::ALL.len());
        if !(ids_ok && actors_ok && starts_ok && clients_ok) {
            return Err("a packed part refers to values it does not hold".into());
        }
        part.strings = header.strings;
        part.actors = header.actors;
        part.odd_ids = header.odd_ids;
        part.report = header.report;
        Ok(part)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or("a packed part ends early")?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn column<T, const N: usize>(
        &mut self,
        n: usize,
        f: fn([u8; N]) -> T,
    ) -> Result<Vec<T>, String> {
        let size = n.checked_mul(N).ok_or("a packed part is too large")?;
        Ok(self
            .take(size)?
            .chunks_exact(N)
            .map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                f(a)
            })
            .collect())
    }
}

fn put<const N: usize, T: Copy>(out: &mut Vec<u8>, col: &[T], f: fn(T) -> [u8; N]) {
    out.reserve(col.len() * N);
    for &v in col {
        out.extend_from_slice(&f(v));
    }
}

impl Store {
    /// The eight interned text columns, in the order [`Store::pack`] writes them.
    fn text_columns(&self) -> [&Vec<StrId>; 8] {
        [
            &self.event_name,
            &self.event_source,
            &self.region,
            &self.source_ip,
            &self.user_agent,
            &self.error_code,
            &self.account,
            &self.access_key,
        ]
    }

    /// Packs this store (the events of one file, as a worker loaded them) with the file's
    /// report, for [`Part::unpack`] and [`Store::absorb`] on the other side.
    pub fn pack(&self, report: &FileReport) -> Vec<u8> {
        let n = self.len();
        let mut keys = vec![0u64; n];
        for (key, row) in self.seen.iter() {
            if let Some(k) = keys.get_mut(row as usize) {
                *k = key;
            }
        }
        let res_start = if self.res_start.is_empty() {
            vec![0]
        } else {
            self.res_start.clone()
        };
        let mut odd_ids: Vec<(u32, String)> = self
            .odd_ids
            .iter()
            .map(|(&row, id)| (row, id.to_string()))
            .collect();
        odd_ids.sort_unstable();
        let header = Header {
            report: report.clone(),
            rows: n as u32,
            resources: self.res_name.len() as u32,
            strings: self.strings.strings[1..]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            actors: self.actors.clone(),
            odd_ids,
        };
        let header = serde_json::to_vec(&header).unwrap_or_default();
        let mut out = Vec::with_capacity(header.len() + n * 110);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        put(&mut out, &keys, u64::to_le_bytes);
        put(&mut out, &self.time, i64::to_le_bytes);
        put(&mut out, &self.actor, u32::to_le_bytes);
        for col in self.text_columns() {
            put(&mut out, col, u32::to_le_bytes);
        }
        out.extend_from_slice(&self.flags);
        out.extend(
            self.client
                .iter()
                .map(|c| Client::ALL.iter().position(|x| x == c).unwrap_or(0) as u8),
        );
        put(
            &mut out,
            &self.origin.iter().map(|o| o.offset).collect::<Vec<_>>(),
            u64::to_le_bytes,
        );
        put(
            &mut out,
            &self.origin.iter().map(|o| o.len).collect::<Vec<_>>(),
            u32::to_le_bytes,
        );
        put(&mut out, &res_start, u32::to_le_bytes);
        put(&mut out, &self.res_name, u32::to_le_bytes);
        put(&mut out, &self.res_type, u32::to_le_bytes);
        put(&mut out, &self.event_uuid, u128::to_le_bytes);
        out
    }

    /// Adds the events of `part` as file number `file`, skipping events already loaded;
    /// returns how many were added.
    pub fn absorb(&mut self, part: &Part, file: u32) -> u64 {
        let strings: Vec<StrId> = std::iter::once(NONE)
            .chain(part.strings.iter().map(|s| self.strings.intern(s)))
            .collect();
        let actors: Vec<ActorId> = part
            .actors
            .iter()
            .map(|identity| match self.actor_ids.get(&identity.key) {
                Some(&id) => id,
                None => {
                    let id = ActorId::try_from(self.actors.len()).unwrap_or(ActorId::MAX);
                    self.actor_ids.insert(identity.key.clone(), id);
                    self.actors.push(identity.clone());
                    id
                }
            })
            .collect();
        let s = |id: StrId| strings.get(id as usize).copied().unwrap_or(NONE);
        let odd: std::collections::HashMap<u32, &str> = part
            .odd_ids
            .iter()
            .map(|(r, id)| (*r, id.as_str()))
            .collect();
        if self.res_start.is_empty() {
            self.res_start.push(0);
        }
        let mut added = 0;
        for r in 0..part.len() {
            let row = u32::try_from(self.time.len()).unwrap_or(u32::MAX);
            if !self.seen.insert_new(part.keys[r], row) {
                continue;
            }
            added += 1;
            self.time.push(part.time[r]);
            self.actor
                .push(actors.get(part.actor[r] as usize).copied().unwrap_or(0));
            self.event_name.push(s(part.text[0][r]));
            self.event_source.push(s(part.text[1][r]));
            self.region.push(s(part.text[2][r]));
            self.source_ip.push(s(part.text[3][r]));
            self.user_agent.push(s(part.text[4][r]));
            self.error_code.push(s(part.text[5][r]));
            self.account.push(s(part.text[6][r]));
            self.access_key.push(s(part.text[7][r]));
            self.flags.push(part.flags[r]);
            self.client
                .push(Client::ALL[part.client[r] as usize % Client::ALL.len()]);
            self.origin.push(Origin {
                file,
                offset: part.offset[r],
                len: part.len[r],
            });
            let (a, b) = (part.res_start[r] as usize, part.res_start[r + 1] as usize);
            for k in a..b {
                self.res_name.push(s(part.res_name[k]));
                self.res_type.push(s(part.res_type[k]));
            }
            self.res_start
                .push(u32::try_from(self.res_name.len()).unwrap_or(u32::MAX));
            let uuid = part.uuid[r];
            self.event_uuid.push(uuid);
            if uuid == ODD_ID {
                if let Some(id) = odd.get(&(r as u32)) {
                    self.odd_ids.insert(row, (*id).into());
                }
            }
        }
        added
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::ingest::ingest_bytes;

    /// Loads `files` once into one store, and once through workers' parts (each file into
    /// its own store, packed, unpacked, absorbed in order): both must hold the same events.
    fn both_ways(files: &[(String, Vec<u8>)]) -> (Store, Store, Vec<(u64, u64)>) {
        let mut direct = Store::new();
        for (name, bytes) in files {
            let no = direct.add_file(name);
            ingest_bytes(no, name, bytes, &mut direct);
        }
        let mut merged = Store::new();
        let mut counts = Vec::new();
        for (name, bytes) in files {
            let no = merged.add_file(name);
            let mut local = Store::new();
            let report = ingest_bytes(no, name, bytes, &mut local);
            let packed = local.pack(&report);
            let part = Part::unpack(&packed).unwrap();
            assert_eq!(part.report.records, report.records);
            let added = merged.absorb(&part, no);
            counts.push((added, part.len() as u64 - added));
        }
        (direct, merged, counts)
    }

    fn assert_same(a: &Store, b: &Store) {
        assert_eq!(a.len(), b.len());
        for i in 0..a.len() {
            let actor = |s: &Store| s.actors[s.actor[i] as usize].clone();
            assert_eq!(actor(a), actor(b), "row {i}");
            assert_eq!(a.time[i], b.time[i]);
            for (x, y) in a.text_columns().iter().zip(b.text_columns()) {
                assert_eq!(a.strings.get(x[i]), b.strings.get(y[i]), "row {i}");
            }
            assert_eq!(a.flags[i], b.flags[i]);
            assert_eq!(a.client[i], b.client[i]);
            assert_eq!(a.origin[i], b.origin[i]);
            assert_eq!(a.event_id(i), b.event_id(i));
            let res = |s: &Store| {
                s.resources(i)
                    .map(|(n, t)| (s.strings.get(n).to_owned(), s.strings.get(t).to_owned()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(res(a), res(b));
        }
        for i in 0..a.len() {
            let id = a.event_id(i);
            if !id.is_empty() {
                assert_eq!(a.row_of_event_id(&id), b.row_of_event_id(&id));
            }
        }
    }

    #[test]
    fn parts_merge_to_the_same_store_as_one_load() {
        let files: Vec<(String, Vec<u8>)> = demo::generate(demo::DemoConfig {
            events: 5_000,
            ..demo::DemoConfig::default()
        })
        .map(|f| (f.path, f.json))
        .collect();
        assert!(files.len() > 3);
        let (direct, merged, _) = both_ways(&files);
        assert!(direct.len() > 1000);
        assert_same(&direct, &merged);
        assert_eq!(direct.actors.len(), merged.actors.len());
    }

    #[test]
    fn duplicates_across_parts_are_skipped_and_odd_ids_kept() {
        let a = br#"{"Records":[{"eventID":"4875188c-6124-4770-ab80-8d44a6a2ff36","eventName":"A","eventTime":"2024-01-01T00:00:00Z"},
            {"eventID":"EXAMPLE-1","eventName":"B","resources":[{"ARN":"arn:aws:s3:::b","type":"AWS::S3::Bucket"}]},{"eventName":"C","eventVersion":"1.0"}]}"#;
        let b = br#"{"Records":[{"eventID":"EXAMPLE-1","eventName":"B"},{"eventID":"EXAMPLE-2","eventName":"D"}]}"#;
        let files = vec![
            ("a.json".to_string(), a.to_vec()),
            ("b.json".to_string(), b.to_vec()),
            ("a-again.json".to_string(), a.to_vec()),
        ];
        let (direct, merged, counts) = both_ways(&files);
        assert_eq!(counts, vec![(3, 0), (1, 1), (0, 3)]);
        assert_eq!(merged.len(), 4);
        assert_same(&direct, &merged);
        assert_eq!(merged.event_id(3), "EXAMPLE-2");
        assert_eq!(merged.origin[3].file, 1);
    }

    #[test]
    fn bad_parts_are_errors_not_panics() {
        let mut local = Store::new();
        let report = ingest_bytes(
            0,
            "a",
            br#"[{"eventName":"A","eventSource":"s"}]"#,
            &mut local,
        );
        let packed = local.pack(&report);
        assert!(Part::unpack(&packed).is_ok());
        for cut in 0..packed.len() {
            assert!(Part::unpack(&packed[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = packed.clone();
        extra.push(0);
        assert!(Part::unpack(&extra).is_err());
        // An id beyond the strings: flip the last byte of the first text column.
        let mut bad = packed.clone();
        let header_len = u32::from_le_bytes(bad[4..8].try_into().unwrap()) as usize;
        let text_at = 8 + header_len + 8 + 8 + 4;
        bad[text_at + 3] = 0xff;
        assert!(Part::unpack(&bad).is_err());
    }
}
