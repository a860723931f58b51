//! RSA public keys and SHA256withRSA (RSASSA-PKCS1-v1_5) signature verification, written
//! out by hand because CloudTrail digest signatures are the only use: a public-key-only
//! verifier needs no randomness, no private-key arithmetic and no constant-time care
//! (everything it handles is public), so a few hundred lines of Montgomery arithmetic
//! over 32-bit limbs and a minimal DER reader replace a general crypto stack and keep the
//! WebAssembly small. Keys come as PEM (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`) or
//! as DER (what `aws cloudtrail list-public-keys` returns, base64-encoded).

use sha2::{Digest as _, Sha256};
use std::cmp::Ordering;
use std::fmt;

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The text is not valid base64.
    Base64,
    /// The bytes are not a DER RSA public key (SPKI or PKCS#1); says where it went wrong.
    Der(&'static str),
    /// The key is not an RSA key (another algorithm in the SPKI).
    NotRsa,
    /// The modulus or exponent cannot be a real RSA key.
    BadNumbers(&'static str),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Base64 => write!(f, "the key is not valid base64"),
            KeyError::Der(what) => write!(f, "not a DER RSA public key ({what})"),
            KeyError::NotRsa => write!(f, "the key is not an RSA key"),
            KeyError::BadNumbers(what) => write!(f, "not a usable RSA key ({what})"),
        }
    }
}

impl std::error::Error for KeyError {}

/// An RSA public key: modulus and public exponent.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    /// Modulus, little-endian 32-bit limbs, no high zero limbs.
    n: Vec<u32>,
    /// Public exponent, big-endian bytes without leading zeros.
    e: Vec<u8>,
    /// The modulus length in bytes (`k` in RFC 8017).
    k: usize,
    /// `-n^-1 mod 2^32`, for Montgomery reduction.
    n0_inv: u32,
    /// `R^2 mod n`, to enter the Montgomery domain (computed once per key).
    r2: Vec<u32>,
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaPublicKey({} bits)", self.bits())
    }
}

/// The smallest modulus accepted: smaller keys are not used by CloudTrail and are breakable.
const MIN_BITS: usize = 1024;
/// The largest modulus accepted, to bound the work per signature.
const MAX_BITS: usize = 16384;

impl RsaPublicKey {
    /// Builds a key from big-endian modulus and exponent bytes.
    pub fn from_components(modulus: &[u8], exponent: &[u8]) -> Result<RsaPublicKey, KeyError> {
        let n = limbs_from_be(modulus);
        let e: Vec<u8> = exponent.iter().copied().skip_while(|b| *b == 0).collect();
        let bits = bit_len(&n);
        if bits < MIN_BITS {
            return Err(KeyError::BadNumbers("modulus shorter than 1024 bits"));
        }
        if bits > MAX_BITS {
            return Err(KeyError::BadNumbers("modulus longer than 16384 bits"));
        }
        if n[0] & 1 == 0 {
            return Err(KeyError::BadNumbers("even modulus"));
        }
        if e.is_empty() || e.len() > 8 || e.last().is_some_and(|b| b & 1 == 0) || e == [1] {
            return Err(KeyError::BadNumbers(
                "public exponent must be odd, above 1, at most 64 bits",
            ));
        }
        Ok(RsaPublicKey {
            k: bits.div_ceil(8),
            n0_inv: neg_inverse(n[0]),
            r2: r_squared(&n),
            n,
            e,
        })
    }

    /// Reads a DER key: SubjectPublicKeyInfo, or a bare PKCS#1 `RSAPublicKey`.
    pub fn from_der(der: &[u8]) -> Result<RsaPublicKey, KeyError> {
        let mut outer = Der::new(der);
        let body = outer.take(TAG_SEQUENCE)?;
        if !outer.is_empty() {
            return Err(KeyError::Der("bytes after the key"));
        }
        let mut seq = Der::new(body);
        if seq.peek_tag() == Some(TAG_SEQUENCE) {
            // SubjectPublicKeyInfo: AlgorithmIdentifier, then a BIT STRING with the PKCS#1 key.
            let mut alg = Der::new(seq.take(TAG_SEQUENCE)?);
            if alg.take(TAG_OID)? != OID_RSA_ENCRYPTION {
                return Err(KeyError::NotRsa);
            }
            let bits = seq.take(TAG_BIT_STRING)?;
            let (unused, key) = bits
                .split_first()
                .ok_or(KeyError::Der("empty BIT STRING"))?;
            if *unused != 0 {
                return Err(KeyError::Der("BIT STRING with unused bits"));
            }
            return RsaPublicKey::from_der(key);
        }
        let n = seq.take(TAG_INTEGER)?;
        let e = seq.take(TAG_INTEGER)?;
        if !seq.is_empty() {
            return Err(KeyError::Der("extra fields in RSAPublicKey"));
        }
        if n.first().is_some_and(|b| b & 0x80 != 0) || e.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(KeyError::BadNumbers("negative modulus or exponent"));
        }
        RsaPublicKey::from_components(n, e)
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        bit_len(&self.n)
    }

    /// Verifies an RSASSA-PKCS1-v1_5 signature with SHA-256 over `message` (RFC 8017 §8.2.2).
    pub fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        if signature.len() != self.k {
            return false;
        }
        let s = limbs_from_be(signature);
        if compare(&s, &self.n) != Ordering::Less {
            return false;
        }
        let m = self.public_op(&s);
        let em = limbs_to_be(&m, self.k);
        let Some(expected) = emsa_pkcs1_sha256(&Sha256::digest(message), self.k) else {
            return false;
        };
        // Everything here is public, so a plain comparison is fine.
        em == expected
    }

    /// `s^e mod n` by Montgomery square-and-multiply.
    fn public_op(&self, s: &[u32]) -> Vec<u32> {
        let len = self.n.len();
        let mut base = s.to_vec();
        base.resize(len, 0);
        let r2 = &self.r2;
        let base_m = self.mont_mul(&base, r2);
        let mut one = vec![0u32; len];
        one[0] = 1;
        let mut acc = self.mont_mul(&one, r2);
        for byte in &self.e {
            for bit in (0..8).rev() {
                acc = self.mont_mul(&acc, &acc);
                if byte >> bit & 1 == 1 {
                    acc = self.mont_mul(&acc, &base_m);
                }
            }
        }
        self.mont_mul(&acc, &one)
    }

    /// `a * b * R^-1 mod n` (CIOS Montgomery multiplication), for `a, b < n`.
    fn mont_mul(&self, a: &[u32], b: &[u32]) -> Vec<u32> {
        let n = &self.n;
        let len = n.len();
        let mut t = vec![0u32; len + 2];
        for &bi in b.iter().take(len) {
            let mut carry = 0u64;
            for j in 0..len {
                let sum = u64::from(t[j]) + u64::from(a[j]) * u64::from(bi) + carry;
                t[j] = sum as u32;
                carry = sum >> 32;
            }
            let sum = u64::from(t[len]) + carry;
            t[len] = sum as u32;
            t[len + 1] = (sum >> 32) as u32;
            let m = t[0].wrapping_mul(self.n0_inv);
            let sum = u64::from(t[0]) + u64::from(m) * u64::from(n[0]);
            let mut carry = sum >> 32;
            for j in 1..len {
                let sum = u64::from(t[j]) + u64::from(m) * u64::from(n[j]) + carry;
                t[j - 1] = sum as u32;
                carry = sum >> 32;
            }
            let sum = u64::from(t[len]) + carry;
            t[len - 1] = sum as u32;
            t[len] = t[len + 1] + (sum >> 32) as u32;
        }
        let high = t[len];
        t.truncate(len);
        if high != 0 || compare(&t, n) != Ordering::Less {
            sub_in_place(&mut t, n);
        }
        t
    }
}

/// The DER `DigestInfo` prefix for SHA-256 (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// EMSA-PKCS1-v1_5 encoding of a SHA-256 hash: `00 01 FF..FF 00 DigestInfo || hash`, or
/// `None` when `k` is too short for at least 8 bytes of padding.
fn emsa_pkcs1_sha256(hash: &[u8], k: usize) -> Option<Vec<u8>> {
    let t_len = SHA256_DIGEST_INFO.len() + hash.len();
    let ps = k.checked_sub(t_len + 3).filter(|ps| *ps >= 8)?;
    let mut em = Vec::with_capacity(k);
    em.extend_from_slice(&[0x00, 0x01]);
    em.extend(std::iter::repeat_n(0xff, ps));
    em.push(0x00);
    em.extend_from_slice(&SHA256_DIGEST_INFO);
    em.extend_from_slice(hash);
    Some(em)
}

/// Big-endian bytes to little-endian limbs without high zero limbs (at least one limb).
fn limbs_from_be(bytes: &[u8]) -> Vec<u32> {
    let mut limbs: Vec<u32> = bytes
        .rchunks(4)
        .map(|c| c.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b)))
        .collect();
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    if limbs.is_empty() {
        limbs.push(0);
    }
    limbs
}

/// Little-endian limbs to exactly `len` big-endian bytes (the value fits: it is below n).
fn limbs_to_be(limbs: &[u32], len: usize) -> Vec<u8> {
    let mut out: Vec<u8> = limbs.iter().flat_map(|l| l.to_le_bytes()).collect();
    out.resize(len.max(out.len()), 0);
    out.truncate(len);
    out.reverse();
    out
}

fn bit_len(limbs: &[u32]) -> usize {
    match limbs.iter().rposition(|l| *l != 0) {
        Some(i) => i * 32 + (32 - limbs[i].leading_zeros() as usize),
        None => 0,
    }
}

/// Compares two numbers given as little-endian limbs of any lengths.
fn compare(a: &[u32], b: &[u32]) -> Ordering {
    let len = a.len().max(b.len());
    for i in (0..len).rev() {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        match x.cmp(&y) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    Ordering::Equal
}

/// `a -= b` modulo `2^(32 * a.len())`.
fn sub_in_place(a: &mut [u32], b: &[u32]) {
    let mut borrow = 0u64;
    for (i, x) in a.iter_mut().enumerate() {
        let y = u64::from(b.get(i).copied().unwrap_or(0)) + borrow;
        let (d, under) = u64::from(*x).overflowing_sub(y);
        *x = d as u32;
        borrow = u64::from(under);
    }
}

/// `-n0^-1 mod 2^32` for odd `n0`, by Newton's iteration (each step doubles the good bits).
fn neg_inverse(n0: u32) -> u32 {
    let mut inv = 1u32;
    for _ in 0..5 {
        inv = inv.wrapping_mul(2u32.wrapping_sub(n0.wrapping_mul(inv)));
    }
    inv.wrapping_neg()
}

/// `R^2 mod n` with `R = 2^(32 * limbs)`, by doubling 1 modulo n.
fn r_squared(n: &[u32]) -> Vec<u32> {
    let len = n.len();
    let mut x = vec![0u32; len];
    x[0] = 1;
    for _ in 0..64 * len {
        let mut carry = 0u32;
        for l in x.iter_mut() {
            let next = *l >> 31;
            *l = *l << 1 | carry;
            carry = next;
        }
        if carry == 1 || compare(&x, n) != Ordering::Less {
            sub_in_place(&mut x, n);
        }
    }
    x
}

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;
/// 1.2.840.113549.1.1.1, encoded.
const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// A reader over DER bytes, just enough for public keys.
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Der { rest: bytes }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Takes one element with the given tag and returns its contents.
    fn take(&mut self, tag: u8) -> Result<&'a [u8], KeyError> {
        let (&found, rest) = self
            .rest
            .split_first()
            .ok_or(KeyError::Der("unexpected end"))?;
        if found != tag {
            return Err(KeyError::Der("unexpected element"));
        }
        let (&first, mut rest) = rest.split_first().ok_or(KeyError::Der("unexpected end"))?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || rest.len() < count {
                return Err(KeyError::Der("bad length"));
            }
            let (digits, after) = rest.split_at(count);
            rest = after;
            digits
                .iter()
                .fold(0usize, |acc, b| acc << 8 | usize::from(*b))
        };
        if rest.len() < len {
            return Err(KeyError::Der("length past the end"));
        }
        let (body, after) = rest.split_at(len);
        self.rest = after;
        Ok(body)
    }
}

/// Decodes standard base64 (padding optional, whitespace ignored).
pub fn base64_decode(text: &str) -> Result<Vec<u8>, KeyError> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    let mut padding = false;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding = true;
                continue;
            }
            _ => return Err(KeyError::Base64),
        };
        if padding {
            return Err(KeyError::Base64);
        }
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return Err(KeyError::Base64);
    }
    Ok(out)
}

/// Decodes hex (either case); `None` for odd length or other characters.
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Every RSA key in PEM text (`PUBLIC KEY` or `RSA PUBLIC KEY` blocks), each with its
/// position (1-based) so errors can say which one failed.
pub fn keys_from_pem(text: &str) -> Vec<Result<RsaPublicKey, KeyError>> {
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = &after[..label_end];
        let body = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = body.find(&end_marker) else {
            keys.push(Err(KeyError::Der("PEM block without its END line")));
            break;
        };
        if label == "PUBLIC KEY" || label == "RSA PUBLIC KEY" {
            keys.push(base64_decode(&body[..end]).and_then(|der| RsaPublicKey::from_der(&der)));
        }
        rest = &body[end + end_marker.len()..];
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_hex() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVs\nbG8").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbA==").unwrap(), b"hell");
        assert!(base64_decode("a$").is_err());
        assert!(base64_decode("a").is_err());
        assert!(base64_decode("aG=Vs").is_err());
        assert_eq!(hex_decode("00fFa1").unwrap(), vec![0, 255, 161]);
        assert!(hex_decode("abc").is_none());
        assert!(hex_decode("zz").is_none());
        assert!(hex_decode("é1").is_none());
    }

    #[test]
    fn neg_inverse_is_an_inverse() {
        for n0 in [1u32, 3, 0xffff_ffff, 0x1234_5677, 65537] {
            assert_eq!(n0.wrapping_mul(neg_inverse(n0)), u32::MAX, "{n0}");
        }
    }

    /// A small modulus checked against plain u128 arithmetic (the limits on key size are
    /// bypassed by building the struct directly).
    #[test]
    fn montgomery_exponentiation_matches_u128() {
        fn pow_mod(mut b: u128, mut e: u128, m: u128) -> u128 {
            let mut r = 1u128;
            b %= m;
            while e > 0 {
                if e & 1 == 1 {
                    r = r * b % m;
                }
                b = b * b % m;
                e >>= 1;
            }
            r
        }
        // Moduli below 2^63 so products fit in u128; odd, with one and two limbs.
        for (m, e) in [
            (0x7fff_ffffu128, 65537u128),
            (0x1_0000_0001, 3),
            (0x7a3b_c2d1_e4f5_0607, 65537),
            (0x4000_0000_0000_0001, 17),
        ] {
            let bytes = m.to_be_bytes();
            let n = limbs_from_be(&bytes);
            let e_bytes: Vec<u8> = e
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            let key = RsaPublicKey {
                k: bit_len(&n).div_ceil(8),
                n0_inv: neg_inverse(n[0]),
                r2: r_squared(&n),
                n,
                e: e_bytes,
            };
            for s in [0u128, 1, 2, 12345, m - 1, m / 3, 0x1234_5678_9abc % m] {
                let got = key.public_op(&limbs_from_be(&s.to_be_bytes()));
                let mut want = limbs_from_be(&pow_mod(s, e, m).to_be_bytes());
                want.resize(got.len(), 0);
                assert_eq!(got, want, "{s}^{e} mod {m}");
            }
        }
    }

    #[test]
    fn malformed_der_is_an_error() {
        for der in [
            &[][..],
            &[0x30],
            &[0x30, 0x05, 0x02],
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x80],
            &[0x30, 0x03, 0x02, 0x01, 0x01],
            &[0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03],
            &[0x04, 0x00],
        ] {
            assert!(RsaPublicKey::from_der(der).is_err(), "{der:?}");
        }
    }

    #[test]
    fn emsa_encoding_shape() {
        let em = emsa_pkcs1_sha256(&[0xab; 32], 256).unwrap();
        assert_eq!(em.len(), 256);
        assert_eq!(&em[..2], &[0, 1]);
        assert!(em[2..256 - 52].iter().all(|b| *b == 0xff));
        assert_eq!(em[256 - 52], 0);
        assert!(emsa_pkcs1_sha256(&[0; 32], 61).is_none());
    }

    /// Vectors made by `tests/data/signatures/make.sh` with openssl.
    const SPKI: &str = include_str!("../../tests/data/signatures/trail-spki.pem");
    const PKCS1: &str = include_str!("../../tests/data/signatures/trail-pkcs1.pem");
    const OTHER: &str = include_str!("../../tests/data/signatures/other-spki.pem");
    const MESSAGE: &str = include_str!("../../tests/data/signatures/message.txt");
    const SIGNATURE: &str = include_str!("../../tests/data/signatures/message.sig.hex");

    fn one_key(pem: &str) -> RsaPublicKey {
        let mut keys = keys_from_pem(pem);
        assert_eq!(keys.len(), 1);
        keys.remove(0).unwrap()
    }

    #[test]
    fn openssl_signature_verifies_with_spki_and_pkcs1_forms() {
        let sig = hex_decode(SIGNATURE).unwrap();
        let (spki, pkcs1) = (one_key(SPKI), one_key(PKCS1));
        assert_eq!(spki, pkcs1);
        assert_eq!(spki.bits(), 2048);
        assert!(spki.verify_sha256(MESSAGE.as_bytes(), &sig));
        assert!(pkcs1.verify_sha256(MESSAGE.as_bytes(), &sig));
    }

    #[test]
    fn tampered_message_wrong_key_and_bad_signatures_fail() {
        let sig = hex_decode(SIGNATURE).unwrap();
        let key = one_key(SPKI);
        let mut tampered = MESSAGE.as_bytes().to_vec();
        tampered[4] ^= 1;
        assert!(!key.verify_sha256(&tampered, &sig));
        let other = one_key(OTHER);
        assert_eq!(other.bits(), 3072);
        assert!(!other.verify_sha256(MESSAGE.as_bytes(), &sig));
        // Every single-bit change of the signature fails.
        for i in [0, 1, 100, 255] {
            let mut bad = sig.clone();
            bad[i] ^= 0x40;
            assert!(!key.verify_sha256(MESSAGE.as_bytes(), &bad), "byte {i}");
        }
        // Wrong lengths, zero, and values at or above the modulus.
        assert!(!key.verify_sha256(MESSAGE.as_bytes(), &sig[1..]));
        assert!(!key.verify_sha256(MESSAGE.as_bytes(), &[sig.clone(), vec![0]].concat()));
        assert!(!key.verify_sha256(MESSAGE.as_bytes(), &[0u8; 256]));
        assert!(!key.verify_sha256(MESSAGE.as_bytes(), &[0xffu8; 256]));
        assert!(!key.verify_sha256(MESSAGE.as_bytes(), &limbs_to_be(&key.n, 256)));
    }

    #[test]
    fn malformed_keys_are_errors_not_panics() {
        let der = base64_decode(
            SPKI.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>()
                .as_str(),
        )
        .unwrap();
        assert!(RsaPublicKey::from_der(&der).is_ok());
        // Every truncation, and every single-byte change of the header, is handled.
        for len in 0..der.len() {
            assert!(
                RsaPublicKey::from_der(&der[..len]).is_err(),
                "truncated to {len}"
            );
        }
        for i in 0..40 {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut bad = der.clone();
                bad[i] ^= flip;
                let _ = RsaPublicKey::from_der(&bad);
            }
        }
        // Pseudo-random bytes.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let len = (x % 300) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let _ = RsaPublicKey::from_der(&bytes);
            let _ = RsaPublicKey::from_der(&[&[0x30, 0x82, 0x01, 0x0a][..], &bytes].concat());
        }
        assert!(keys_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA")
            .pop()
            .unwrap()
            .is_err());
        assert!(
            keys_from_pem("-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----")
                .pop()
                .unwrap()
                .is_err()
        );
        assert!(
            keys_from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
                .is_empty()
        );
        // An even modulus, a tiny one, and exponent 1 are refused.
        assert!(RsaPublicKey::from_components(&[0x80; 256], &[1, 0, 1]).is_err());
        assert!(RsaPublicKey::from_components(&[0x81; 64], &[1, 0, 1]).is_err());
        assert!(RsaPublicKey::from_components(&[0x81; 256], &[1]).is_err());
        assert!(RsaPublicKey::from_components(&[0x81; 256], &[1, 0, 1]).is_ok());
    }
}
