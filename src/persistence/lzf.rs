//! LZF, the small LZ77 compressor Redis uses for strings in RDB files (`lzf_c.c`, `lzf_d.c`).
//!
//! Written here because the only LZF crate is deprecated and uses `unsafe`; the format is tiny.
//! A compressed stream is a sequence of:
//! - a literal run: control byte `000LLLLL`, then `L + 1` bytes copied as they are (1..=32);
//! - a back reference: control byte `LLLooooo` with `LLL` in 1..=7 (7 = a length byte follows),
//!   then the low offset byte; it copies `len + 2` bytes starting `offset + 1` bytes back in the
//!   output (so the distance is 1..=8192 and the length 3..=264; copies may overlap).
//!
//! [`decompress`] checks every run against the input and the announced output length, so a
//! malformed stream is an error, never a panic or an out-of-bounds read.

/// Longest literal run one control byte announces.
const MAX_LIT: usize = 32;
/// Farthest back a reference reaches (13 offset bits, plus one).
const MAX_OFF: usize = 1 << 13;
/// Longest match one reference copies: 7 + 255 + 2.
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// Hash table size (log2) of the compressor.
const HLOG: u32 = 14;

/// Compresses `input`; `None` when the result would be longer than `max_out` bytes (Redis
/// passes `len - 4`: compression that does not save at least four bytes is not worth it).
pub fn compress(input: &[u8], max_out: usize) -> Option<Vec<u8>> {
    thread_local! {
        // The hash table is reused from call to call without clearing (liblzf does not clear
        // it either): an entry left by an earlier input is only a guess, taken when it points
        // before the current position and the bytes there match, which makes it a valid back
        // reference wherever it came from. Zeroing 64 KiB per string made an RDB save of many
        // short values memset-bound.
        static TABLE: std::cell::RefCell<Vec<u32>> = std::cell::RefCell::new(vec![0; 1 << HLOG]);
    }
    TABLE.with(|t| compress_with(input, max_out, &mut t.borrow_mut()))
}

fn compress_with(input: &[u8], max_out: usize, table: &mut [u32]) -> Option<Vec<u8>> {
    let n = input.len();
    let mut out = Vec::with_capacity(max_out.min(n + n / MAX_LIT + 1));
    let mut lit_start = 0;
    let mut i = 0;
    while i + 2 < n {
        let h = hash(input[i], input[i + 1], input[i + 2]);
        let cand = table[h] as usize;
        table[h] = (i + 1) as u32;
        if cand > 0 && cand - 1 < i {
            let r = cand - 1;
            let off = i - r - 1;
            if off < MAX_OFF && input[r..r + 3] == input[i..i + 3] {
                let max = (n - i).min(MAX_REF);
                let mut len = 3;
                while len < max && input[r + len] == input[i + len] {
                    len += 1;
                }
                literals(&mut out, &input[lit_start..i]);
                let l = len - 2;
                if l < 7 {
                    out.push(((l << 5) | (off >> 8)) as u8);
                } else {
                    out.push(((7 << 5) | (off >> 8)) as u8);
                    out.push((l - 7) as u8);
                }
                out.push(off as u8);
                if out.len() > max_out {
                    return None;
                }
                // Index the positions inside the match too: better ratios on repetitive data.
                for j in i + 1..(i + len).min(n.saturating_sub(2)) {
                    table[hash(input[j], input[j + 1], input[j + 2])] = (j + 1) as u32;
                }
                i += len;
                lit_start = i;
                continue;
            }
        }
        i += 1;
    }
    literals(&mut out, &input[lit_start..]);
    (out.len() <= max_out).then_some(out)
}

#[inline]
fn hash(a: u8, b: u8, c: u8) -> usize {
    let v = (a as u32) << 16 | (b as u32) << 8 | c as u32;
    (v.wrapping_mul(2_654_435_761) >> (32 - HLOG)) as usize
}

/// Appends `lit` as literal runs of at most [`MAX_LIT`] bytes.
fn literals(out: &mut Vec<u8>, lit: &[u8]) {
    for chunk in lit.chunks(MAX_LIT) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
}

/// Why a compressed stream was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LzfError {
    /// A run reads past the end of the compressed input.
    Truncated,
    /// A back reference points before the start of the output.
    BadReference,
    /// The output would be longer, or ended shorter, than announced.
    WrongLength,
}

/// Decompresses `input`, which must expand to exactly `out_len` bytes. The output grows with
/// the data actually produced, so a false `out_len` cannot make it allocate up front.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, LzfError> {
    // Each input byte yields at most MAX_REF output bytes: a larger claim is a lie.
    let mut out = Vec::with_capacity(out_len.min(input.len().saturating_mul(4) + 64));
    let mut p = 0;
    while p < input.len() {
        let ctrl = input[p] as usize;
        p += 1;
        if ctrl < 32 {
            let len = ctrl + 1;
            let lit = input.get(p..p + len).ok_or(LzfError::Truncated)?;
            if out.len() + len > out_len {
                return Err(LzfError::WrongLength);
            }
            out.extend_from_slice(lit);
            p += len;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(p).ok_or(LzfError::Truncated)? as usize;
                p += 1;
            }
            let low = *input.get(p).ok_or(LzfError::Truncated)? as usize;
            p += 1;
            let back = ((ctrl & 0x1f) << 8 | low) + 1;
            let start = out.len().checked_sub(back).ok_or(LzfError::BadReference)?;
            let len = len + 2;
            if out.len() + len > out_len {
                return Err(LzfError::WrongLength);
            }
            for k in 0..len {
                let b = out[start + k];
                out.push(b);
            }
        }
    }
    if out.len() != out_len {
        return Err(LzfError::WrongLength);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(data: &[u8]) {
        let c = compress(data, data.len() + data.len() / 16 + 16).expect("fits");
        assert_eq!(decompress(&c, data.len()).unwrap(), data);
    }

    #[test]
    fn round_trips_text_binary_and_edge_sizes() {
        roundtrip(b"");
        roundtrip(b"a");
        roundtrip(b"abc");
        roundtrip(&[b'x'; 1000]);
        roundtrip(b"hello hello hello hello hello hello world");
        let mut x: u64 = 1;
        let noise: Vec<u8> = (0..5000)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                (x >> 56) as u8
            })
            .collect();
        roundtrip(&noise);
        let mut mixed = Vec::new();
        for i in 0..3000 {
            mixed.extend_from_slice(format!("key:{}:{} ", i % 97, i % 13).as_bytes());
        }
        roundtrip(&mixed);
        // Matches farther than the window and longer than MAX_REF.
        let mut far = vec![7u8; 20_000];
        far.extend_from_slice(&noise);
        far.extend_from_slice(&noise[..100]);
        roundtrip(&far);
    }

    #[test]
    fn a_table_left_by_earlier_inputs_never_breaks_a_round_trip() {
        // Long inputs fill the reused table with positions past the start of short ones.
        let mut x: u64 = 7;
        for round in 0..2000 {
            let len = if round % 3 == 0 {
                4000
            } else {
                21 + round % 200
            };
            let data: Vec<u8> = (0..len)
                .map(|i| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    if i % 5 == 0 {
                        (x >> 60) as u8
                    } else {
                        b'a' + (i % 7) as u8
                    }
                })
                .collect();
            roundtrip(&data);
        }
    }

    #[test]
    fn compresses_repetitive_data_and_refuses_a_small_budget() {
        let data = [b'a'; 100];
        let c = compress(&data, 96).unwrap();
        assert!(c.len() < 10, "{}", c.len());
        assert_eq!(compress(b"abcdefghijklmnopqrstuvwxyz", 22), None);
    }

    #[test]
    fn decodes_redis_output() {
        // redis-server 7.0.15 stores SET k "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" (40 a's)
        // as 0xC3, clen 9, ulen 40, then these bytes.
        let c = [0x01, b'a', b'a', 0xe0, 0x1b, 0x00, 0x01, b'a', b'a'];
        assert_eq!(decompress(&c, 40).unwrap(), [b'a'; 40]);
    }

    #[test]
    fn malformed_streams_are_errors() {
        assert_eq!(decompress(&[5, b'a'], 6), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0x20, 0x00], 3), Err(LzfError::BadReference));
        assert_eq!(decompress(&[0xe0], 10), Err(LzfError::Truncated));
        assert_eq!(
            decompress(&[0, b'a', 0x20, 0], 3),
            Err(LzfError::WrongLength)
        );
        assert_eq!(decompress(&[0, b'a'], 2), Err(LzfError::WrongLength));
        assert_eq!(
            decompress(&[0, b'a'], usize::MAX),
            Err(LzfError::WrongLength)
        );
        // Every two-byte stream: no panic.
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let _ = decompress(&[a, b], 8);
                let _ = decompress(&[0, 1, a, b], 64);
            }
        }
    }
}
