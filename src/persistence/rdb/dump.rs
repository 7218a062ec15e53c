//! DUMP / RESTORE payloads (`cluster.c`: `createDumpPayload`, `verifyDumpPayload`):
//! the RDB type byte and value body, then the RDB version as u16 little-endian, then the
//! CRC-64 (little-endian) of everything before it.

use super::codec::Input;
use super::decode::read_value;
use super::encode::{put_value, value_type};
use super::{crc64, RDB_VERSION};
use crate::keyspace::Value;

/// The serialized form of `value` that DUMP returns.
pub fn dump_payload(value: &Value) -> Vec<u8> {
    let mut b = vec![value_type(value)];
    put_value(&mut b, value);
    b.extend_from_slice(&(RDB_VERSION as u16).to_le_bytes());
    let crc = crc64(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

/// Why RESTORE refused a payload; `Display` gives Redis's exact error line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    /// Shorter than the footer, a newer RDB version, or a wrong checksum.
    #[error("ERR DUMP payload version or checksum are wrong")]
    VersionOrChecksum,
    /// The value does not decode (or is an empty collection).
    #[error("ERR Bad data format")]
    BadData,
}

/// Checks a payload's footer (version <= 10, CRC-64) and decodes its value. As Redis, bytes
/// left between the value and the footer are ignored.
pub fn restore_payload(p: &[u8]) -> Result<Value, RestoreError> {
    if p.len() < 10 {
        return Err(RestoreError::VersionOrChecksum);
    }
    let (body, crc) = p.split_at(p.len() - 8);
    let version = u16::from_le_bytes([body[body.len() - 2], body[body.len() - 1]]);
    if version as u32 > RDB_VERSION {
        return Err(RestoreError::VersionOrChecksum);
    }
    let mut stored = [0u8; 8];
    stored.copy_from_slice(crc);
    if crc64(body) != u64::from_le_bytes(stored) {
        return Err(RestoreError::VersionOrChecksum);
    }
    let data = &body[..body.len() - 2];
    let (&ty, rest) = data.split_first().ok_or(RestoreError::BadData)?;
    let mut inp = Input::new(rest);
    match read_value(&mut inp, ty) {
        Ok(Some(v)) => Ok(v),
        _ => Err(RestoreError::BadData),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Str;

    #[test]
    fn payloads_match_redis_bytes() {
        // redis-server 7.0.15: SET k "aaaa...a" (40 bytes); DUMP k.
        let redis = b"\x00\xc3\x09\x28\x01\x61\x61\xe0\x1b\x00\x01\x61\x61\x0a\x00\xcf\x09\x2f\xaa\xae\x25\x83\x1d";
        let v = restore_payload(redis).unwrap();
        assert_eq!(v, Value::Str(Str::from_bytes(&[b'a'; 40])));
        // Our compressor differs from liblzf's, but the payload reads back.
        assert_eq!(restore_payload(&dump_payload(&v)).unwrap(), v);
        let n = Value::Str(Str::Int(12));
        let d = dump_payload(&n);
        assert_eq!(&d[..3], b"\x00\xc0\x0c");
        assert_eq!(&d[3..5], b"\x0a\x00");
    }

    #[test]
    fn bad_payloads_get_redis_errors() {
        let good = dump_payload(&Value::Str(Str::from_bytes(b"hello")));
        assert_eq!(
            restore_payload(&good[..9]),
            Err(RestoreError::VersionOrChecksum)
        );
        let mut bad = good.clone();
        bad[2] ^= 1;
        assert_eq!(restore_payload(&bad), Err(RestoreError::VersionOrChecksum));
        // Version 11 with a right checksum.
        let mut newer = good[..good.len() - 10].to_vec();
        newer.extend_from_slice(&11u16.to_le_bytes());
        let c = crc64(&newer);
        newer.extend_from_slice(&c.to_le_bytes());
        assert_eq!(
            restore_payload(&newer),
            Err(RestoreError::VersionOrChecksum)
        );
        // A right footer around a truncated value.
        let mut trunc = vec![0u8, 0x05, b'h'];
        trunc.extend_from_slice(&10u16.to_le_bytes());
        let c = crc64(&trunc);
        trunc.extend_from_slice(&c.to_le_bytes());
        assert_eq!(restore_payload(&trunc), Err(RestoreError::BadData));
        assert_eq!(RestoreError::BadData.to_string(), "ERR Bad data format");
    }
}
