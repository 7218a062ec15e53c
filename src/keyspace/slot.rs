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

static CRC16_TABLE: [u16; 256] = crc16_table();

/// CRC16-XMODEM of `data`.
#[inline]
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc = (crc << 8) ^ CRC16_TABLE[(((crc >> 8) as u8) ^ b) as usize];
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
