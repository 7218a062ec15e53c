//! The RDB primitives (`rdb.c`): lengths, strings (raw, integer-encoded, LZF), doubles.
//!
//! Length encoding, by the two high bits of the first byte:
//! `00` 6-bit length · `01` 14-bit length (big-endian, with the next byte) · `10 000000` u32 BE
//! follows · `10 000001` u64 BE follows · `11` a special string encoding in the low six bits:
//! 0 = int8, 1 = int16, 2 = int32 (little-endian), 3 = LZF (compressed length, original
//! length, data).
//!
//! Writing appends to a `Vec<u8>`; reading goes through [`Input`], which counts the offset and
//! feeds the CRC-64 of every byte read.

use super::{RdbError, CRC64};
use crate::persistence::lzf;
use std::io::Read;

const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Preallocation cap for anything sized by a length field: bigger buffers grow with the data
/// actually read, so a lying length cannot allocate memory the input does not back.
pub const PREALLOC_CAP: usize = 1 << 16;

// ------------------------------------------------------------------------------------------
// writing
// ------------------------------------------------------------------------------------------

/// Appends `n` in the length encoding (`rdbSaveLen`).
pub fn put_len(b: &mut Vec<u8>, n: u64) {
    if n < 1 << 6 {
        b.push(n as u8);
    } else if n < 1 << 14 {
        b.push(0x40 | (n >> 8) as u8);
        b.push(n as u8);
    } else if n <= u32::MAX as u64 {
        b.push(0x80);
        b.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        b.push(0x81);
        b.extend_from_slice(&n.to_be_bytes());
    }
}

/// Appends `v` as an int8/16/32 string encoding if it fits (`rdbEncodeInteger`).
fn put_encoded_int(b: &mut Vec<u8>, v: i64) -> bool {
    if (i8::MIN as i64..=i8::MAX as i64).contains(&v) {
        b.push(0xC0 | ENC_INT8);
        b.push(v as i8 as u8);
    } else if (i16::MIN as i64..=i16::MAX as i64).contains(&v) {
        b.push(0xC0 | ENC_INT16);
        b.extend_from_slice(&(v as i16).to_le_bytes());
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        b.push(0xC0 | ENC_INT32);
        b.extend_from_slice(&(v as i32).to_le_bytes());
    } else {
        return false;
    }
    true
}

/// Appends an integer string value (`rdbSaveLongLongAsStringObject`): integer-encoded when it
/// fits 32 bits, else its decimal digits.
pub fn put_int_string(b: &mut Vec<u8>, v: i64) {
    if !put_encoded_int(b, v) {
        let mut buf = itoa::Buffer::new();
        let s = buf.format(v).as_bytes();
        put_len(b, s.len() as u64);
        b.extend_from_slice(s);
    }
}

/// Appends a string as `rdbSaveRawString` does: up to 11 bytes that are a canonical integer
/// fitting 32 bits are integer-encoded; over 20 bytes it is LZF-compressed when that saves at
/// least four bytes (unless `rdbcompression no`, [`super::COMPRESS`]); otherwise length and
/// bytes.
pub fn put_string(b: &mut Vec<u8>, s: &[u8]) {
    if s.len() <= 11 {
        if let Some(v) = crate::util::parse_i64(s) {
            if put_encoded_int(b, v) {
                return;
            }
        }
    }
    if s.len() > 20 && super::COMPRESS.load(std::sync::atomic::Ordering::Relaxed) {
        if let Some(c) = lzf::compress(s, s.len() - 4) {
            b.push(0xC0 | ENC_LZF);
            put_len(b, c.len() as u64);
            put_len(b, s.len() as u64);
            b.extend_from_slice(&c);
            return;
        }
    }
    put_len(b, s.len() as u64);
    b.extend_from_slice(s);
}

/// Appends a double as 8 bytes little-endian (`rdbSaveBinaryDoubleValue`, ZSET_2 scores).
pub fn put_double_bin(b: &mut Vec<u8>, v: f64) {
    b.extend_from_slice(&v.to_le_bytes());
}

// ------------------------------------------------------------------------------------------
// reading
// ------------------------------------------------------------------------------------------

/// A byte source that counts its offset and the CRC-64 of what was read.
pub struct Input<R> {
    r: R,
    digest: crc::Digest<'static, u64, crc::Table<16>>,
    offset: u64,
}

impl<R: Read> Input<R> {
    /// Reads from `r`, starting at offset 0 with an empty checksum.
    pub fn new(r: R) -> Input<R> {
        Input {
            r,
            digest: CRC64.digest(),
            offset: 0,
        }
    }

    /// Bytes read so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// CRC-64 of the bytes read so far.
    pub fn crc(&self) -> u64 {
        self.digest.clone().finalize()
    }

    /// Fills `buf` exactly.
    pub fn fill(&mut self, buf: &mut [u8]) -> Result<(), RdbError> {
        self.r.read_exact(buf)?;
        self.digest.update(buf);
        self.offset += buf.len() as u64;
        Ok(())
    }

    /// Reads one byte.
    pub fn u8(&mut self) -> Result<u8, RdbError> {
        let mut b = [0u8; 1];
        self.fill(&mut b)?;
        Ok(b[0])
    }

    /// Reads exactly `n` bytes; the buffer grows with the data, capped up front.
    pub fn bytes(&mut self, n: u64) -> Result<Vec<u8>, RdbError> {
        let want = usize::try_from(n).map_err(|_| RdbError::Truncated)?;
        let mut v = Vec::with_capacity(want.min(PREALLOC_CAP));
        let got = (&mut self.r).take(n).read_to_end(&mut v)?;
        if got != want {
            return Err(RdbError::Truncated);
        }
        self.digest.update(&v);
        self.offset += n;
        Ok(v)
    }

    /// Reads a length, or a special string encoding: `(value, true)` for the latter.
    pub fn len_or_enc(&mut self) -> Result<(u64, bool), RdbError> {
        let c = self.u8()?;
        match c >> 6 {
            0 => Ok(((c & 0x3f) as u64, false)),
            1 => Ok(((((c & 0x3f) as u64) << 8) | self.u8()? as u64, false)),
            2 => match c {
                0x80 => {
                    let mut b = [0u8; 4];
                    self.fill(&mut b)?;
                    Ok((u32::from_be_bytes(b) as u64, false))
                }
                0x81 => {
                    let mut b = [0u8; 8];
                    self.fill(&mut b)?;
                    Ok((u64::from_be_bytes(b), false))
                }
                _ => Err(RdbError::Corrupt(format!(
                    "unknown length encoding 0x{c:02x}"
                ))),
            },
            _ => Ok(((c & 0x3f) as u64, true)),
        }
    }

    /// Reads a plain length (`rdbLoadLen`).
    pub fn length(&mut self) -> Result<u64, RdbError> {
        match self.len_or_enc()? {
            (n, false) => Ok(n),
            (_, true) => Err(RdbError::Corrupt(
                "string encoding where a length was expected".into(),
            )),
        }
    }

    /// Reads a length meant as an element count; `usize` so it can size loops.
    pub fn count(&mut self) -> Result<usize, RdbError> {
        usize::try_from(self.length()?).map_err(|_| RdbError::Corrupt("count too large".into()))
    }

    /// Reads a string in any of its encodings (`rdbGenericLoadStringObject`).
    pub fn string(&mut self) -> Result<Vec<u8>, RdbError> {
        let (n, enc) = self.len_or_enc()?;
        if !enc {
            return self.bytes(n);
        }
        let v: i64 = match n as u8 {
            ENC_INT8 => self.u8()? as i8 as i64,
            ENC_INT16 => {
                let mut b = [0u8; 2];
                self.fill(&mut b)?;
                i16::from_le_bytes(b) as i64
            }
            ENC_INT32 => {
                let mut b = [0u8; 4];
                self.fill(&mut b)?;
                i32::from_le_bytes(b) as i64
            }
            ENC_LZF => {
                let clen = self.length()?;
                let ulen = self.length()?;
                let ulen = usize::try_from(ulen)
                    .map_err(|_| RdbError::Corrupt("LZF length too large".into()))?;
                let data = self.bytes(clen)?;
                return lzf::decompress(&data, ulen)
                    .map_err(|e| RdbError::Corrupt(format!("invalid LZF data ({e:?})")));
            }
            other => {
                return Err(RdbError::Corrupt(format!(
                    "unknown string encoding {other}"
                )))
            }
        };
        Ok(itoa::Buffer::new().format(v).as_bytes().to_vec())
    }

    /// Reads a ZSET_2 score: 8 bytes little-endian.
    pub fn double_bin(&mut self) -> Result<f64, RdbError> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(f64::from_le_bytes(b))
    }

    /// Reads an old ZSET score (`rdbLoadDoubleValue`): a length byte, 253 = NaN, 254 = +inf,
    /// 255 = -inf, else that many ASCII characters.
    pub fn double_str(&mut self) -> Result<f64, RdbError> {
        let n = self.u8()?;
        match n {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let mut b = vec![0u8; n as usize];
                self.fill(&mut b)?;
                std::str::from_utf8(&b)
                    .ok()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .ok_or_else(|| RdbError::Corrupt("unreadable double".into()))
            }
        }
    }

    /// Reads an unsigned 64-bit value little-endian (EXPIRETIME_MS).
    pub fn u64_le(&mut self) -> Result<u64, RdbError> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// Reads a signed 32-bit value little-endian (EXPIRETIME, seconds).
    pub fn i32_le(&mut self) -> Result<i32, RdbError> {
        let mut b = [0u8; 4];
        self.fill(&mut b)?;
        Ok(i32::from_le_bytes(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_string(b: &[u8]) -> Result<Vec<u8>, RdbError> {
        Input::new(b).string()
    }

    #[test]
    fn lengths_round_trip_at_every_boundary() {
        for n in [
            0u64,
            63,
            64,
            16383,
            16384,
            u32::MAX as u64,
            u32::MAX as u64 + 1,
            u64::MAX,
        ] {
            let mut b = Vec::new();
            put_len(&mut b, n);
            let mut inp = Input::new(&b[..]);
            assert_eq!(inp.length().unwrap(), n);
            assert_eq!(inp.offset(), b.len() as u64);
        }
        let mut b = Vec::new();
        put_len(&mut b, 300);
        assert_eq!(b, [0x41, 0x2c]);
    }

    #[test]
    fn strings_use_redis_encodings() {
        let enc = |s: &[u8]| {
            let mut b = Vec::new();
            put_string(&mut b, s);
            b
        };
        assert_eq!(enc(b"12"), [0xC0, 12]);
        assert_eq!(enc(b"-129"), [0xC1, 0x7f, 0xff]);
        assert_eq!(enc(b"70000"), [0xC2, 0x70, 0x11, 0x01, 0x00]);
        assert_eq!(enc(b"012"), b"\x03012");
        assert_eq!(enc(b"99999999999"), b"\x0b99999999999");
        assert_eq!(enc(b"hello"), b"\x05hello");
        let long = [b'a'; 40];
        let c = enc(&long);
        assert_eq!(c[0], 0xC3);
        assert!(c.len() < 20);
        let mut iv = Vec::new();
        put_int_string(&mut iv, 5_000_000_000);
        assert_eq!(iv, b"\x0a5000000000");
        for s in [
            &b"12"[..],
            b"-129",
            b"70000",
            b"012",
            b"hello",
            &long,
            b"5000000000",
        ] {
            assert_eq!(read_string(&enc(s)).unwrap(), s);
        }
        assert_eq!(read_string(&iv).unwrap(), b"5000000000");
    }

    #[test]
    fn malformed_strings_are_errors_without_big_allocations() {
        assert!(matches!(read_string(b"\x05abc"), Err(RdbError::Truncated)));
        // A 2^64-1 byte string announced by a few bytes: an error, not an allocation.
        assert!(read_string(b"\x81\xff\xff\xff\xff\xff\xff\xff\xffab").is_err());
        assert!(read_string(b"\x80\xff\xff\xff\xffab").is_err());
        // LZF claiming a huge output.
        assert!(read_string(b"\xC3\x02\x81\x00\xff\xff\xff\xff\xff\xff\xff\x00a").is_err());
        assert!(read_string(b"\xC4").is_err());
        assert!(read_string(b"\x82").is_err());
        assert!(read_string(b"").is_err());
    }

    #[test]
    fn doubles_read_both_forms() {
        let mut b = Vec::new();
        put_double_bin(&mut b, -2.5);
        assert_eq!(Input::new(&b[..]).double_bin().unwrap(), -2.5);
        assert_eq!(Input::new(&b"\x031.5"[..]).double_str().unwrap(), 1.5);
        assert_eq!(
            Input::new(&[254u8][..]).double_str().unwrap(),
            f64::INFINITY
        );
        assert_eq!(
            Input::new(&[255u8][..]).double_str().unwrap(),
            f64::NEG_INFINITY
        );
        assert!(Input::new(&[253u8][..]).double_str().unwrap().is_nan());
        assert!(Input::new(&b"\x02zz"[..]).double_str().is_err());
    }
}
