//! Per-file n-gram sketches, so a selective whole-record search reads only the files that
//! may hold what it looks for.
//!
//! A whole-record search must re-read and inflate every file (the store keeps no raw
//! JSON), which at a million events is seconds of work. A [`FileSketch`] is a one-hash
//! Bloom filter of the file's case-folded byte n-grams (as ClickHouse's `ngrambf` index
//! and Loki's bloom filters do), plus the few facts about the file that
//! [`RawPrefilter`](crate::fields::RawPrefilter) asks of its bytes. A needle with an
//! n-gram the sketch has not seen is certainly not in the file, so a search for an IP
//! address, a request ID or an access key skips most files without reading them. It is
//! built from bytes a worker inflates anyway (the findings pass after a load reads every
//! file), so loading pays nothing for it.
//!
//! Its size follows the file's: about one bit per 16 inflated bytes (13 MB for the 1.1 GB
//! of a million generated events), which keeps the false positives of a rare 10-byte
//! needle to a few percent of the files.

/// The n-gram length: a needle shorter than this can never be ruled out.
pub const GRAM: usize = 5;
/// Inflated bytes per bit of the filter (rounded to a power of two).
const BYTES_PER_BIT: usize = 8;
const MIN_BITS_LOG2: u32 = 10;
const MAX_BITS_LOG2: u32 = 20;

/// What a search may ask of a file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSketch {
    /// The filter: bit `h(gram)` is set for every n-gram of the case-folded bytes.
    bits: Vec<u64>,
    /// log2 of the number of bits.
    log2: u32,
    /// The file holds no backslash and only ASCII (its bytes read as its values).
    pub plain: bool,
    /// The file holds a control character (a raw newline between records counts).
    pub controls: bool,
    /// Some record path in the file may hold two numbers in a row (see
    /// `fields::numeric_paths`; always true for a file that is not plain).
    pub numeric_paths: bool,
}

/// Eight bytes with ASCII letters lower-cased (SWAR: each byte at once).
#[inline(always)]
fn fold8(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = x & !HIGH;
    // High bit of each byte: its low seven bits are at least `A`, and more than `Z`.
    let from_a = low7 + ONES * (0x80 - b'A' as u64);
    let past_z = low7 + ONES * (0x80 - b'Z' as u64 - 1);
    let upper = from_a & !past_z & !x & HIGH;
    x | (upper >> 2)
}

/// The filter position of the n-gram in the low bytes of `w` (first byte lowest).
#[inline(always)]
fn slot(w: u64, log2: u32) -> usize {
    const MASK: u64 = (1u64 << (8 * GRAM as u32)) - 1;
    ((w & MASK).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - log2)) as usize
}

/// Up to eight bytes as a little-endian word, folded.
fn word(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    buf[..bytes.len().min(8)].copy_from_slice(&bytes[..bytes.len().min(8)]);
    fold8(u64::from_le_bytes(buf))
}

impl FileSketch {
    /// The sketch of a file's (inflated) bytes.
    pub fn of(bytes: &[u8]) -> FileSketch {
        let wanted = (bytes.len() / BYTES_PER_BIT).max(1).next_power_of_two();
        let log2 = wanted.trailing_zeros().clamp(MIN_BITS_LOG2, MAX_BITS_LOG2);
        // A byte per position first (stores that wait on no load), then packed to bits;
        // eight bytes are folded at once and give the next 8 - GRAM + 1 n-grams.
        let mut marks = vec![0u8; 1usize << log2];
        const STEP: usize = 8 - GRAM + 1;
        let mut at = 0;
        while at + 8 <= bytes.len() {
            let w = fold8(u64::from_le_bytes(
                bytes[at..at + 8].try_into().unwrap_or_default(),
            ));
            for k in 0..STEP {
                marks[slot(w >> (8 * k), log2)] = 1;
            }
            at += STEP;
        }
        while at + GRAM <= bytes.len() {
            marks[slot(word(&bytes[at..]), log2)] = 1;
            at += 1;
        }
        // Eight marks (each 0 or 1) to eight bits at once: the multiply gathers the low bit
        // of each byte into the top byte.
        let bits = marks
            .chunks_exact(64)
            .map(|c| {
                c.chunks_exact(8).enumerate().fold(0u64, |acc, (i, m)| {
                    let m = u64::from_le_bytes(m.try_into().unwrap_or_default());
                    acc | (m.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * i)
                })
            })
            .collect();
        let plain = memchr::memchr(b'\\', bytes).is_none() && bytes.is_ascii();
        FileSketch {
            bits,
            log2,
            plain,
            controls: bytes.iter().any(|&b| b < b' '),
            numeric_paths: !plain || crate::fields::numeric_paths(bytes),
        }
    }

    /// Whether the file may hold `needle` (lower-case ASCII), ignoring ASCII case: false
    /// means it certainly does not.
    pub fn may_hold(&self, needle: &[u8]) -> bool {
        needle.len() < GRAM
            || needle.windows(GRAM).all(|g| {
                let s = slot(word(g), self.log2);
                self.bits[s / 64] & (1 << (s % 64)) != 0
            })
    }

    /// The bytes it takes in memory.
    pub fn heap_bytes(&self) -> usize {
        self.bits.len() * 8 + std::mem::size_of::<FileSketch>()
    }

    /// Packed for a move between a worker and the page: flags, log2, then the bits.
    pub fn to_bytes(&self) -> Vec<u8> {
        let flags =
            u8::from(self.plain) | u8::from(self.controls) << 1 | u8::from(self.numeric_paths) << 2;
        let mut out = Vec::with_capacity(2 + self.bits.len() * 8);
        out.push(flags);
        out.push(self.log2 as u8);
        for word in &self.bits {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out
    }

    /// Unpacks [`FileSketch::to_bytes`] (None for bytes it did not write).
    pub fn from_bytes(bytes: &[u8]) -> Option<FileSketch> {
        let (&[flags, log2], rest) = bytes.split_first_chunk::<2>()?;
        let log2 = u32::from(log2);
        if !(MIN_BITS_LOG2..=MAX_BITS_LOG2).contains(&log2) || rest.len() != (1 << log2) / 8 {
            return None;
        }
        let bits = rest
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect();
        Some(FileSketch {
            bits,
            log2,
            plain: flags & 1 != 0,
            controls: flags & 2 != 0,
            numeric_paths: flags & 4 != 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_eight_bytes_as_one() {
        for b in 0..=255u8 {
            let w = fold8(u64::from_le_bytes([
                b, b'Q', 0xC3, b, b'@', b'[', b'`', b'{',
            ]));
            let want = [
                b.to_ascii_lowercase(),
                b'q',
                0xC3,
                b.to_ascii_lowercase(),
                b'@',
                b'[',
                b'`',
                b'{',
            ];
            assert_eq!(w.to_le_bytes(), want, "{b}");
        }
    }

    #[test]
    fn every_piece_of_the_file_may_be_held_in_either_case() {
        let text = br#"{"Records":[{"eventName":"RunInstances","sourceIPAddress":"10.0.2.155","requestID":"351dfe63-0c27-4ac1-8bf6-5d926524cf6b"}]}"#;
        let sketch = FileSketch::of(text);
        for start in 0..text.len() {
            for end in start..=text.len() {
                let piece = text[start..end].to_ascii_lowercase();
                assert!(
                    sketch.may_hold(&piece),
                    "{:?}",
                    String::from_utf8_lossy(&piece)
                );
            }
        }
        assert!(sketch.may_hold(b"runinstances"));
        assert!(sketch.plain && !sketch.controls);
    }

    #[test]
    fn rules_out_what_is_not_there() {
        let text = br#"{"Records":[{"eventName":"RunInstances","sourceIPAddress":"10.0.2.155"}]}"#;
        let sketch = FileSketch::of(text);
        // A tiny file has few n-grams: a needle absent from it is ruled out.
        assert!(!sketch.may_hold(b"terminateinstances"));
        assert!(!sketch.may_hold(b"10.0.2.156"));
        // Too short to tell.
        assert!(sketch.may_hold(b"zzzz"));
    }

    #[test]
    fn flags_follow_the_bytes() {
        let s = FileSketch::of(b"{\"a\":\"x\\ny\"}\n");
        assert!(!s.plain && s.controls && s.numeric_paths);
        let s = FileSketch::of("{\"a\":\"é\"}".as_bytes());
        assert!(!s.plain);
        let s = FileSketch::of(br#"{"a":[[1]]}"#);
        assert!(s.plain && s.numeric_paths);
        let s = FileSketch::of(br#"{"a":[1]}"#);
        assert!(s.plain && !s.numeric_paths);
    }

    #[test]
    fn packs_and_unpacks() {
        let s = FileSketch::of(&b"{\"eventName\":\"GetObject\"}\n".repeat(3000));
        assert!(s.bits.len() * 64 > 1 << MIN_BITS_LOG2);
        assert_eq!(FileSketch::from_bytes(&s.to_bytes()), Some(s.clone()));
        let bytes = s.to_bytes();
        assert_eq!(FileSketch::from_bytes(&bytes[..bytes.len() - 1]), None);
        assert_eq!(FileSketch::from_bytes(&[]), None);
        assert_eq!(FileSketch::from_bytes(&[0, 40]), None);
    }
}
