//! Hash slots: `HASH_SLOT = CRC16(key) mod 16384`, hashing only the `{hash tag}` when the key has
//! a non-empty one. Source: the Redis Cluster specification, "Keys distribution model".

/// Number of hash slots in the keyspace.
pub const SLOTS: usize = 16384;

const fn crc16_table() -> [u16; 256] {
    // CRC16-XMODEM (CCITT polynomial 0x1021, init 0), as in Redis's crc16.c.
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut j = 0;
        while j < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            j += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// Slicing-by-8 tables: `t[k][b]` is the CRC of byte `b` followed by `k` zero bytes, so eight
/// input bytes are folded with eight lookups instead of eight dependent steps.
const fn crc16_slices() -> [[u16; 256]; 8] {
    let mut t = [[0u16; 256]; 8];
    t[0] = crc16_table();
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let prev = t[k - 1][b];
            t[k][b] = (prev << 8) ^ t[0][(prev >> 8) as usize];
            b += 1;
        }
        k += 1;
    }
    t
}

static CRC16_TABLES: [[u16; 256]; 8] = crc16_slices();

/// CRC16-XMODEM of `data`, eight bytes per step (slicing-by-8), then byte by byte.
#[inline]
pub fn crc16(data: &[u8]) -> u16 {
    let t = &CRC16_TABLES;
    let mut crc: u16 = 0;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let [hi, lo] = crc.to_be_bytes();
        crc = t[7][(c[0] ^ hi) as usize]
            ^ t[6][(c[1] ^ lo) as usize]
            ^ t[5][c[2] as usize]
            ^ t[4][c[3] as usize]
            ^ t[3][c[4] as usize]
            ^ t[2][c[5] as usize]
            ^ t[1][c[6] as usize]
            ^ t[0][c[7] as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc << 8) ^ t[0][(((crc >> 8) as u8) ^ b) as usize];
    }
    crc
}

/// The part of `key` that is hashed: the content of the first `{...}` if non-empty, else the key.
#[inline]
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// The hash slot (0..16384) of `key`.
#[inline]
pub fn key_slot(key: &[u8]) -> usize {
    (crc16(hash_tag(key)) as usize) & (SLOTS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_matches_the_cluster_spec_test_vector() {
        // The spec: "The CRC16 of '123456789' is 0x31C3".
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    #[test]
    fn sliced_crc16_equals_the_bytewise_definition() {
        let table = crc16_table();
        let bytewise = |data: &[u8]| {
            data.iter().fold(0u16, |crc, &b| {
                (crc << 8) ^ table[(((crc >> 8) as u8) ^ b) as usize]
            })
        };
        // Every length from 0 to 40 (all remainders, several whole chunks), varied bytes.
        let data: Vec<u8> = (0..40u32).map(|i| (i * 97 + 13) as u8).collect();
        for len in 0..=data.len() {
            for start in 0..3.min(data.len() - len + 1) {
                let d = &data[start..start + len];
                assert_eq!(crc16(d), bytewise(d), "len {len} start {start}");
            }
        }
        assert_eq!(crc16(b"key:000000012345"), bytewise(b"key:000000012345"));
    }

    #[test]
    fn hash_tags_follow_the_spec() {
        assert_eq!(hash_tag(b"{user1000}.following"), b"user1000");
        assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
        assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
        assert_eq!(key_slot(b"{t}a"), key_slot(b"{t}b"));
        // Values redis-cli CLUSTER KEYSLOT gives.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
    }
}
