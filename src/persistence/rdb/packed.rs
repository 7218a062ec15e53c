//! The packed blobs Redis stores inside RDB strings: listpack (`listpack.c`, written and read),
//! intset (`intset.c`, written and read), and the older ziplist (`ziplist.c`) and zipmap
//! (`zipmap.c`), read only.
//!
//! Parsers take the whole blob and return its elements, checking every length against the blob
//! (a malformed blob is [`Corrupt`], never a panic). Elements borrow the blob.

use super::RdbError;

/// One element of a packed blob: integers stay integers, as the encodings keep them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Elem<'_> {
    /// The element's string form (integers in decimal).
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Elem::Int(n) => itoa::Buffer::new().format(*n).as_bytes().to_vec(),
            Elem::Bytes(b) => b.to_vec(),
        }
    }
}

fn corrupt(what: &'static str) -> RdbError {
    RdbError::Corrupt(what.into())
}

/// Shorthand for "the blob is shorter than a length inside it says".
fn get<'a>(
    b: &'a [u8],
    range: std::ops::Range<usize>,
    what: &'static str,
) -> Result<&'a [u8], RdbError> {
    b.get(range).ok_or_else(|| corrupt(what))
}

// ------------------------------------------------------------------------------------------
// listpack
// ------------------------------------------------------------------------------------------

/// Listpack header: total bytes (u32 LE) and element count (u16 LE, 65535 = count unknown).
const LP_HDR: usize = 6;
const LP_EOF: u8 = 0xFF;

/// Builds a listpack as Redis's `lpAppend` lays it out: header, entries (encoding, data,
/// back length), terminator. Strings that are canonical integers are stored as integers.
#[derive(Debug, Clone)]
pub struct Listpack {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Listpack {
    fn default() -> Self {
        Listpack::new()
    }
}

impl Listpack {
    /// An empty listpack (header only).
    pub fn new() -> Listpack {
        Listpack {
            buf: vec![0; LP_HDR],
            count: 0,
        }
    }

    /// Elements appended so far.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no element was appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes of the finished listpack so far (header and terminator included).
    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// Bytes one more element `s` adds (encoding, data and back length).
    pub fn entry_size(s: &[u8]) -> usize {
        let l = match crate::util::parse_i64(s) {
            Some(v) => int_encoding_len(v),
            None => str_header_len(s.len()) + s.len(),
        };
        l + backlen_size(l)
    }

    /// Appends `s`, as an integer when it is a canonical one (`lpStringToInt64`).
    pub fn push(&mut self, s: &[u8]) {
        match crate::util::parse_i64(s) {
            Some(v) => self.push_int(v),
            None => self.push_str(s),
        }
    }

    /// Appends an integer in the smallest encoding that holds it.
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        let b = &mut self.buf;
        if (0..=127).contains(&v) {
            b.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u16) & 0x1fff;
            b.push(0xC0 | (u >> 8) as u8);
            b.push(u as u8);
        } else if (i16::MIN as i64..=i16::MAX as i64).contains(&v) {
            b.push(0xF1);
            b.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            b.push(0xF2);
            b.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
            b.push(0xF3);
            b.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            b.push(0xF4);
            b.extend_from_slice(&v.to_le_bytes());
        }
        self.finish_entry(start);
    }

    /// Appends `s` as a string.
    pub fn push_str(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let n = s.len();
        if n < 64 {
            self.buf.push(0x80 | n as u8);
        } else if n < 4096 {
            self.buf.push(0xE0 | (n >> 8) as u8);
            self.buf.push(n as u8);
        } else {
            self.buf.push(0xF0);
            self.buf.extend_from_slice(&(n as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        self.finish_entry(start);
    }

    /// Writes the back length of the entry that began at `start`.
    fn finish_entry(&mut self, start: usize) {
        let l = self.buf.len() - start;
        let mut tmp = [0u8; 5];
        let n = encode_backlen(l, &mut tmp);
        self.buf.extend_from_slice(&tmp[..n]);
        self.count += 1;
    }

    /// The finished listpack bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(LP_EOF);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let count = self.count.min(65535) as u16;
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

fn int_encoding_len(v: i64) -> usize {
    if (0..=127).contains(&v) {
        1
    } else if (-4096..=4095).contains(&v) {
        2
    } else if (i16::MIN as i64..=i16::MAX as i64).contains(&v) {
        3
    } else if (-(1 << 23)..(1 << 23)).contains(&v) {
        4
    } else if (i32::MIN as i64..=i32::MAX as i64).contains(&v) {
        5
    } else {
        9
    }
}

fn str_header_len(n: usize) -> usize {
    if n < 64 {
        1
    } else if n < 4096 {
        2
    } else {
        5
    }
}

fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// `lpEncodeBacklen`: the entry length in 7-bit groups, most significant first; every byte but
/// the first of a multi-byte length has its high bit set (it is read right to left).
fn encode_backlen(l: usize, out: &mut [u8; 5]) -> usize {
    let n = backlen_size(l);
    for (i, slot) in out.iter_mut().take(n).enumerate() {
        let shift = 7 * (n - 1 - i);
        let mut b = ((l >> shift) & 127) as u8;
        if i > 0 {
            b |= 128;
        }
        *slot = b;
    }
    n
}

/// Parses a listpack: checks the header's total length, each entry's back length, the
/// terminator and (when known) the element count.
pub fn parse_listpack(b: &[u8]) -> Result<Vec<Elem<'_>>, RdbError> {
    if b.len() < LP_HDR + 1 {
        return Err(corrupt("listpack shorter than its header"));
    }
    let total = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    if total != b.len() {
        return Err(corrupt("listpack length does not match its header"));
    }
    let count = u16::from_le_bytes([b[4], b[5]]) as usize;
    if b[b.len() - 1] != LP_EOF {
        return Err(corrupt("listpack without terminator"));
    }
    // Every entry takes at least two bytes: the element vector is bounded by the blob.
    let mut out = Vec::with_capacity(count.min(b.len() / 2));
    let mut p = LP_HDR;
    loop {
        let c = *b
            .get(p)
            .ok_or_else(|| corrupt("listpack entry past the end"))?;
        if c == LP_EOF {
            break;
        }
        let (elem, hdr, data) = match c {
            0x00..=0x7F => (Elem::Int(c as i64), 1, 0),
            0x80..=0xBF => {
                let n = (c & 0x3f) as usize;
                (
                    Elem::Bytes(get(b, p + 1..p + 1 + n, "listpack string")?),
                    1,
                    n,
                )
            }
            0xC0..=0xDF => {
                let lo = *get(b, p + 1..p + 2, "listpack int")?.first().unwrap_or(&0) as i64;
                let u = ((c as i64 & 0x1f) << 8) | lo;
                let v = if u >= 1 << 12 { u - (1 << 13) } else { u };
                (Elem::Int(v), 2, 0)
            }
            0xE0..=0xEF => {
                let lo = *get(b, p + 1..p + 2, "listpack string")?
                    .first()
                    .unwrap_or(&0) as usize;
                let n = ((c as usize & 0x0f) << 8) | lo;
                (
                    Elem::Bytes(get(b, p + 2..p + 2 + n, "listpack string")?),
                    2,
                    n,
                )
            }
            0xF0 => {
                let l = get(b, p + 1..p + 5, "listpack string")?;
                let n = u32::from_le_bytes([l[0], l[1], l[2], l[3]]) as usize;
                let end = (p + 5)
                    .checked_add(n)
                    .ok_or_else(|| corrupt("listpack string"))?;
                (Elem::Bytes(get(b, p + 5..end, "listpack string")?), 5, n)
            }
            0xF1 => {
                let d = get(b, p + 1..p + 3, "listpack int")?;
                (Elem::Int(i16::from_le_bytes([d[0], d[1]]) as i64), 1, 2)
            }
            0xF2 => {
                let d = get(b, p + 1..p + 4, "listpack int")?;
                let v = i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8;
                (Elem::Int(v as i64), 1, 3)
            }
            0xF3 => {
                let d = get(b, p + 1..p + 5, "listpack int")?;
                (
                    Elem::Int(i32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64),
                    1,
                    4,
                )
            }
            0xF4 => {
                let d = get(b, p + 1..p + 9, "listpack int")?;
                let mut a = [0u8; 8];
                a.copy_from_slice(d);
                (Elem::Int(i64::from_le_bytes(a)), 1, 8)
            }
            _ => return Err(corrupt("listpack entry with an unknown encoding")),
        };
        let l = hdr + data;
        let mut want = [0u8; 5];
        let n = encode_backlen(l, &mut want);
        if get(b, p + l..p + l + n, "listpack back length")? != &want[..n] {
            return Err(corrupt("listpack back length is wrong"));
        }
        out.push(elem);
        p += l + n;
    }
    if p != b.len() - 1 {
        return Err(corrupt("listpack terminator before the end"));
    }
    if count != 65535 && count != out.len() {
        return Err(corrupt("listpack count does not match its entries"));
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------
// intset
// ------------------------------------------------------------------------------------------

/// An intset of sorted distinct integers: encoding width (u32 LE: 2, 4 or 8 bytes), count
/// (u32 LE), then the values little-endian at that width.
pub fn build_intset(sorted: &[i64]) -> Vec<u8> {
    let width = sorted.iter().fold(2usize, |w, &v| {
        if v < i32::MIN as i64 || v > i32::MAX as i64 {
            8
        } else if v < i16::MIN as i64 || v > i16::MAX as i64 {
            w.max(4)
        } else {
            w
        }
    });
    let mut b = Vec::with_capacity(8 + width * sorted.len());
    b.extend_from_slice(&(width as u32).to_le_bytes());
    b.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for &v in sorted {
        b.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    b
}

/// Parses an intset; its values must be strictly ascending (`intsetValidateIntegrity`).
pub fn parse_intset(b: &[u8]) -> Result<Vec<i64>, RdbError> {
    let hdr = get(b, 0..8, "intset shorter than its header")?;
    let width = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as usize;
    let count = u32::from_le_bytes([hdr[4], hdr[5], hdr[6], hdr[7]]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(corrupt("intset with an unknown encoding"));
    }
    if count.checked_mul(width).and_then(|n| n.checked_add(8)) != Some(b.len()) {
        return Err(corrupt("intset length does not match its header"));
    }
    let mut out: Vec<i64> = Vec::with_capacity(count);
    for c in b[8..].chunks_exact(width) {
        let v = match width {
            2 => i16::from_le_bytes([c[0], c[1]]) as i64,
            4 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
            _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        };
        if out.last().is_some_and(|&p| p >= v) {
            return Err(corrupt("intset not sorted"));
        }
        out.push(v);
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------
// ziplist (RDB versions before 10)
// ------------------------------------------------------------------------------------------

/// Parses a ziplist: `zlbytes` (u32 LE), `zltail` (u32 LE), `zllen` (u16 LE), entries of
/// (previous length, encoding, data), and the 0xFF end byte.
pub fn parse_ziplist(b: &[u8]) -> Result<Vec<Elem<'_>>, RdbError> {
    if b.len() < 11 {
        return Err(corrupt("ziplist shorter than its header"));
    }
    let total = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    if total != b.len() || b[b.len() - 1] != 0xFF {
        return Err(corrupt("ziplist length or end byte is wrong"));
    }
    let count = u16::from_le_bytes([b[8], b[9]]) as usize;
    let mut out = Vec::with_capacity(count.min(b.len() / 2));
    let mut p = 10;
    let mut prev_len = 0usize;
    loop {
        let c = *b
            .get(p)
            .ok_or_else(|| corrupt("ziplist entry past the end"))?;
        if c == 0xFF {
            break;
        }
        let start = p;
        let prevlen = if c < 254 {
            p += 1;
            c as usize
        } else {
            let d = get(b, p + 1..p + 5, "ziplist prevlen")?;
            p += 5;
            u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize
        };
        if prevlen != prev_len {
            return Err(corrupt("ziplist prevlen is wrong"));
        }
        let e = *b
            .get(p)
            .ok_or_else(|| corrupt("ziplist encoding past the end"))?;
        let (elem, size) = match e >> 6 {
            0 => {
                let n = (e & 0x3f) as usize;
                (
                    Elem::Bytes(get(b, p + 1..p + 1 + n, "ziplist string")?),
                    1 + n,
                )
            }
            1 => {
                let lo = get(b, p + 1..p + 2, "ziplist string")?[0] as usize;
                let n = ((e as usize & 0x3f) << 8) | lo;
                (
                    Elem::Bytes(get(b, p + 2..p + 2 + n, "ziplist string")?),
                    2 + n,
                )
            }
            2 => {
                if e != 0x80 {
                    return Err(corrupt("ziplist string encoding is wrong"));
                }
                let d = get(b, p + 1..p + 5, "ziplist string")?;
                let n = u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as usize;
                let end = (p + 5)
                    .checked_add(n)
                    .ok_or_else(|| corrupt("ziplist string"))?;
                (Elem::Bytes(get(b, p + 5..end, "ziplist string")?), 5 + n)
            }
            _ => {
                let (w, v) = match e {
                    0xC0 => (2, None),
                    0xD0 => (4, None),
                    0xE0 => (8, None),
                    0xF0 => (3, None),
                    0xFE => (1, None),
                    0xF1..=0xFD => (0, Some((e & 0x0f) as i64 - 1)),
                    _ => return Err(corrupt("ziplist int encoding is wrong")),
                };
                let d = get(b, p + 1..p + 1 + w, "ziplist int")?;
                let v = v.unwrap_or_else(|| match w {
                    1 => d[0] as i8 as i64,
                    2 => i16::from_le_bytes([d[0], d[1]]) as i64,
                    3 => (i32::from_le_bytes([0, d[0], d[1], d[2]]) >> 8) as i64,
                    4 => i32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64,
                    _ => i64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]),
                });
                (Elem::Int(v), 1 + w)
            }
        };
        p += size;
        prev_len = p - start;
        out.push(elem);
    }
    if p != b.len() - 1 {
        return Err(corrupt("ziplist end byte before the end"));
    }
    if count != 65535 && count != out.len() {
        return Err(corrupt("ziplist count does not match its entries"));
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------
// zipmap (hashes in RDB versions before 4)
// ------------------------------------------------------------------------------------------

/// Parses a zipmap into alternating fields and values: a count byte, then for each pair the
/// field (length, bytes), the value (length, free byte, bytes, free bytes), and 0xFF. A length
/// is one byte below 254, or 254 followed by a u32 (little-endian on the machines that wrote it).
pub fn parse_zipmap(b: &[u8]) -> Result<Vec<&[u8]>, RdbError> {
    if b.len() < 2 {
        return Err(corrupt("zipmap shorter than its header"));
    }
    let mut out = Vec::new();
    let mut p = 1;
    let len_at = |p: &mut usize| -> Result<usize, RdbError> {
        let c = *b
            .get(*p)
            .ok_or_else(|| corrupt("zipmap length past the end"))?;
        match c {
            0..=253 => {
                *p += 1;
                Ok(c as usize)
            }
            254 => {
                let d = get(b, *p + 1..*p + 5, "zipmap length")?;
                *p += 5;
                Ok(u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize)
            }
            _ => Err(corrupt("zipmap length is wrong")),
        }
    };
    loop {
        if *b.get(p).ok_or_else(|| corrupt("zipmap without end"))? == 0xFF {
            break;
        }
        let n = len_at(&mut p)?;
        let end = p.checked_add(n).ok_or_else(|| corrupt("zipmap field"))?;
        out.push(get(b, p..end, "zipmap field")?);
        p = end;
        let n = len_at(&mut p)?;
        let free = *b.get(p).ok_or_else(|| corrupt("zipmap free byte"))? as usize;
        p += 1;
        let end = p.checked_add(n).ok_or_else(|| corrupt("zipmap value"))?;
        out.push(get(b, p..end, "zipmap value")?);
        p = end + free;
    }
    if p != b.len() - 1 {
        return Err(corrupt("zipmap end before the end"));
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ziplist as `ziplist.c` lays it out, for tests of the old encodings.
    pub fn build_ziplist(items: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = 10;
        for it in items {
            let start = body.len();
            tail = 10 + start;
            if prev < 254 {
                body.push(prev as u8);
            } else {
                body.push(254);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            match crate::util::parse_i64(it) {
                Some(v @ 0..=12) => body.push(0xF1 + v as u8),
                Some(v) if (-128..=127).contains(&v) => {
                    body.push(0xFE);
                    body.push(v as i8 as u8);
                }
                Some(v) if (i16::MIN as i64..=i16::MAX as i64).contains(&v) => {
                    body.push(0xC0);
                    body.extend_from_slice(&(v as i16).to_le_bytes());
                }
                Some(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                    body.push(0xF0);
                    body.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
                }
                Some(v) if (i32::MIN as i64..=i32::MAX as i64).contains(&v) => {
                    body.push(0xD0);
                    body.extend_from_slice(&(v as i32).to_le_bytes());
                }
                Some(v) => {
                    body.push(0xE0);
                    body.extend_from_slice(&v.to_le_bytes());
                }
                None if it.len() < 64 => {
                    body.push(it.len() as u8);
                    body.extend_from_slice(it);
                }
                None if it.len() < 16384 => {
                    body.push(0x40 | (it.len() >> 8) as u8);
                    body.push(it.len() as u8);
                    body.extend_from_slice(it);
                }
                None => {
                    body.push(0x80);
                    body.extend_from_slice(&(it.len() as u32).to_be_bytes());
                    body.extend_from_slice(it);
                }
            }
            prev = body.len() - start;
        }
        let mut b = Vec::new();
        b.extend_from_slice(&((11 + body.len()) as u32).to_le_bytes());
        b.extend_from_slice(&(tail as u32).to_le_bytes());
        b.extend_from_slice(&(items.len().min(65535) as u16).to_le_bytes());
        b.extend_from_slice(&body);
        b.push(0xFF);
        b
    }

    /// A zipmap as `zipmap.c` lays it out (with one free byte after each value).
    pub fn build_zipmap(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut b = vec![pairs.len().min(254) as u8];
        let len = |b: &mut Vec<u8>, n: usize| {
            if n < 254 {
                b.push(n as u8);
            } else {
                b.push(254);
                b.extend_from_slice(&(n as u32).to_le_bytes());
            }
        };
        for (f, v) in pairs {
            len(&mut b, f.len());
            b.extend_from_slice(f);
            len(&mut b, v.len());
            b.push(1);
            b.extend_from_slice(v);
            b.push(0);
        }
        b.push(0xFF);
        b
    }

    #[test]
    fn listpack_round_trips_every_encoding() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let ints = [
            0i64,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -4097,
            32767,
            -32768,
            32768,
            8388607,
            -8388608,
            8388608,
            i32::MAX as i64,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
        ];
        let mut lp = Listpack::new();
        let mut size = lp.bytes();
        for v in ints {
            size += Listpack::entry_size(v.to_string().as_bytes());
            lp.push(v.to_string().as_bytes());
        }
        for s in [&b""[..], b"abc", b"-0", b"01", &mid, &long] {
            size += Listpack::entry_size(s);
            lp.push(s);
        }
        let b = lp.finish();
        assert_eq!(b.len(), size);
        let got = parse_listpack(&b).unwrap();
        let want: Vec<Elem> = ints
            .iter()
            .map(|&v| Elem::Int(v))
            .chain(
                [&b""[..], b"abc", b"-0", b"01", &mid[..], &long[..]]
                    .into_iter()
                    .map(Elem::Bytes),
            )
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn listpack_matches_redis_bytes() {
        // redis-server 7.0.15: RPUSH l 1 2 abc stores this node.
        let redis = b"\x10\x00\x00\x00\x03\x00\x01\x01\x02\x01\x83abc\x04\xff";
        let mut lp = Listpack::new();
        for s in [&b"1"[..], b"2", b"abc"] {
            lp.push(s);
        }
        assert_eq!(lp.finish(), redis);
    }

    #[test]
    fn malformed_listpacks_are_errors() {
        let mut lp = Listpack::new();
        lp.push(b"hello");
        lp.push(&[b'z'; 200]);
        let good = lp.finish();
        for cut in 0..good.len() {
            assert!(parse_listpack(&good[..cut]).is_err());
        }
        for i in 0..good.len() {
            for x in [0u8, 0x7f, 0x80, 0xC5, 0xE1, 0xF0, 0xF4, 0xF7, 0xFF] {
                let mut bad = good.clone();
                bad[i] = x;
                let _ = parse_listpack(&bad);
            }
        }
    }

    #[test]
    fn intset_round_trips_and_rejects_disorder() {
        for v in [
            vec![],
            vec![1, 2, 3],
            vec![-70000, 5],
            vec![i64::MIN, 0, i64::MAX],
        ] {
            assert_eq!(parse_intset(&build_intset(&v)).unwrap(), v);
        }
        assert_eq!(build_intset(&[1, 2])[..4], 2u32.to_le_bytes());
        assert!(parse_intset(&build_intset(&[3, 2])).is_err());
        assert!(parse_intset(&build_intset(&[1, 2])[..11]).is_err());
        assert!(parse_intset(b"\x03\0\0\0\0\0\0\0").is_err());
    }

    #[test]
    fn ziplist_and_zipmap_parse() {
        let big = vec![b'q'; 20000];
        let mid = vec![b'r'; 300];
        let items: Vec<&[u8]> = vec![
            b"a",
            b"7",
            b"-100",
            b"1000",
            b"100000",
            b"3000000000",
            b"12",
            b"13",
            &mid,
            &big,
        ];
        let z = build_ziplist(&items);
        let got: Vec<Vec<u8>> = parse_ziplist(&z)
            .unwrap()
            .iter()
            .map(|e| e.to_vec())
            .collect();
        assert_eq!(got, items.iter().map(|s| s.to_vec()).collect::<Vec<_>>());
        for cut in 0..z.len() {
            assert!(parse_ziplist(&z[..cut]).is_err());
        }
        let long = vec![b'v'; 300];
        let zm = build_zipmap(&[(b"f1", b"v1"), (b"f2", &long)]);
        let got = parse_zipmap(&zm).unwrap();
        assert_eq!(got, vec![&b"f1"[..], b"v1", b"f2", &long]);
        for cut in 0..zm.len() {
            assert!(parse_zipmap(&zm[..cut]).is_err());
        }
    }
}
