//! Round trips of every type and encoding through [`RdbWriter`] and [`RdbReader`], the older
//! encodings built by hand, and malformed input.

use super::codec::{put_len, put_string};
use super::packed::tests::{build_ziplist, build_zipmap};
use super::packed::{build_intset, Listpack};
use super::*;
use crate::keyspace::hash::Hash;
use crate::keyspace::list::List;
use crate::keyspace::set::Set;
use crate::keyspace::zset::ZSet;
use crate::keyspace::{Entry, Str, Value};

const NOW: u64 = 1_700_000_000_000;

fn s(b: &[u8]) -> Value {
    Value::Str(Str::from_bytes(b))
}

fn list(items: &[Vec<u8>]) -> Value {
    let mut l = List::new();
    l.items
        .extend(items.iter().map(|x| x.clone().into_boxed_slice()));
    Value::List(Box::new(l))
}

fn set(items: &[Vec<u8>]) -> Value {
    let mut st = Set::for_first(&items[0]);
    for m in items {
        st.insert(m);
    }
    Value::Set(Box::new(st))
}

fn hash(n: usize, vlen: usize) -> Value {
    let mut h = Hash::new();
    for i in 0..n {
        h.set(format!("f{i}").as_bytes(), &vec![b'v'; vlen]);
    }
    Value::Hash(h)
}

fn zset(n: usize, mlen: usize) -> Value {
    let mut z = ZSet::default();
    for i in 0..n {
        let mut m = format!("m{i}").into_bytes();
        m.resize(m.len().max(mlen), b'.');
        z.insert(i as f64 * 0.5 - 3.0, &m);
    }
    Value::ZSet(Box::new(z))
}

fn strs(n: usize, prefix: &str) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("{prefix}{i}").into_bytes())
        .collect()
}

/// Every encoding shoal has, small and big.
fn samples() -> Vec<(&'static str, Value)> {
    let mut z_special = ZSet::default();
    for (sc, m) in [
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (0.1, "a"),
        (-0.0, "z"),
        (1e300, "big"),
    ] {
        z_special.insert(sc, m.as_bytes());
    }
    vec![
        ("int", s(b"12345")),
        ("int64", Value::Str(Str::Int(i64::MIN))),
        ("embstr", s(b"hello")),
        ("raw", s(&[b'r'; 100])),
        ("raw-noise", s(&(0..=255u8).collect::<Vec<_>>())),
        ("empty", s(b"")),
        ("list-small", list(&strs(5, "e"))),
        (
            "list-ints",
            list(
                &(-300..300)
                    .map(|i: i64| i.to_string().into_bytes())
                    .collect::<Vec<_>>(),
            ),
        ),
        ("list-big", list(&strs(5000, "element-"))),
        (
            "list-huge-element",
            list(&[b"a".to_vec(), vec![b'x'; 100_000], b"b".to_vec()]),
        ),
        (
            "intset",
            set(&(0..100)
                .map(|i: i64| (i * 1000 - 7).to_string().into_bytes())
                .collect::<Vec<_>>()),
        ),
        (
            "intset-64",
            set(&[i64::MAX.to_string().into_bytes(), b"-1".to_vec()]),
        ),
        ("set-small", set(&strs(3, "m"))),
        ("set-big", set(&strs(1000, "member:"))),
        ("hash-listpack", hash(10, 5)),
        ("hash-table-long", hash(3, 100)),
        ("hash-table-many", hash(600, 3)),
        ("zset-listpack", zset(10, 0)),
        ("zset-special", Value::ZSet(Box::new(z_special))),
        ("zset-skiplist", zset(300, 0)),
        ("zset-long-member", zset(3, 100)),
        (
            "stream",
            Value::Stream(Box::new(super::stream::tests::sample_stream())),
        ),
        ("stream-empty", Value::Stream(Box::default())),
    ]
}

fn write_file(entries: &[(u64, Vec<u8>, Entry)]) -> Vec<u8> {
    let mut w = RdbWriter::new(Vec::new()).unwrap();
    w.aux_defaults(12345, false).unwrap();
    let mut dbs: Vec<u64> = entries.iter().map(|e| e.0).collect();
    dbs.dedup();
    for db in dbs {
        let mine: Vec<_> = entries.iter().filter(|e| e.0 == db).collect();
        let exp = mine.iter().filter(|e| e.2.expire_at().is_some()).count();
        w.select_db(db, mine.len() as u64, exp as u64).unwrap();
        for (_, k, e) in mine {
            w.entry(k, e, NOW).unwrap();
        }
    }
    w.finish().unwrap()
}

fn read_all(bytes: &[u8]) -> Result<Vec<RdbEvent>, RdbError> {
    let mut r = RdbReader::new(bytes)?;
    r.set_now(NOW);
    r.collect()
}

fn entries_of(events: &[RdbEvent]) -> Vec<(u64, Vec<u8>, &Entry)> {
    events
        .iter()
        .filter_map(|e| match e {
            RdbEvent::Entry { db, key, entry, .. } => Some((*db, key.clone(), entry)),
            _ => None,
        })
        .collect()
}

#[test]
fn every_type_and_encoding_round_trips_through_a_file() {
    let mut input = Vec::new();
    for (i, (name, v)) in samples().into_iter().enumerate() {
        let at = if i % 3 == 0 { NOW + 60_000 } else { 0 };
        input.push((
            (i % 2) as u64 * 3,
            name.as_bytes().to_vec(),
            Entry::loaded(v, at, 0),
        ));
    }
    input.sort_by_key(|e| e.0);
    let bytes = write_file(&input);
    assert_eq!(&bytes[..9], b"REDIS0010");
    let events = read_all(&bytes).unwrap();
    let got = entries_of(&events);
    assert_eq!(got.len(), input.len());
    for ((db, k, e), (gdb, gk, ge)) in input.iter().zip(got) {
        assert_eq!((db, k), (&gdb, &gk));
        let name = String::from_utf8_lossy(k);
        assert_eq!(ge.value, e.value, "{name}");
        assert_eq!(ge.value.encoding(), e.value.encoding(), "{name}");
        assert_eq!(ge.expire_at(), e.expire_at(), "{name}");
    }
    let aux: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            RdbEvent::Aux { key, value } => Some(format!(
                "{}={}",
                String::from_utf8_lossy(key),
                String::from_utf8_lossy(value)
            )),
            _ => None,
        })
        .collect();
    assert_eq!(aux[0], "redis-ver=7.0.15");
    assert_eq!(aux[1], "redis-bits=64");
    assert_eq!(aux[3], "used-mem=12345");
    assert_eq!(aux[4], "aof-base=0");
    assert!(matches!(
        events.last(),
        Some(RdbEvent::Eof {
            checksum: Checksum::Verified(_)
        })
    ));
    assert!(events.iter().any(|e| matches!(e, RdbEvent::SelectDb(3))));
    assert!(events
        .iter()
        .any(|e| matches!(e, RdbEvent::ResizeDb { .. })));
}

#[test]
fn every_sample_round_trips_through_a_dump_payload() {
    for (name, v) in samples() {
        let p = dump_payload(&v);
        let back = restore_payload(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, v, "{name}");
        assert_eq!(back.encoding(), v.encoding(), "{name}");
    }
}

#[test]
fn written_types_are_the_ones_redis_7_writes() {
    let ty = |v: &Value| dump_payload(v)[0];
    assert_eq!(ty(&s(b"x")), types::STRING);
    assert_eq!(ty(&list(&strs(2, "a"))), types::LIST_QUICKLIST_2);
    assert_eq!(ty(&set(&[b"1".to_vec()])), types::SET_INTSET);
    assert_eq!(ty(&set(&[b"a".to_vec()])), types::SET);
    assert_eq!(ty(&hash(2, 2)), types::HASH_LISTPACK);
    assert_eq!(ty(&hash(2, 100)), types::HASH);
    assert_eq!(ty(&zset(2, 0)), types::ZSET_LISTPACK);
    assert_eq!(ty(&zset(200, 0)), types::ZSET_2);
}

#[test]
fn idle_freq_and_second_expiry_apply_to_the_next_key() {
    let mut b = b"REDIS0009".to_vec();
    b.push(opcode::SELECTDB);
    put_len(&mut b, 2);
    b.push(opcode::IDLE);
    put_len(&mut b, 100);
    b.push(opcode::EXPIRETIME);
    b.extend_from_slice(&2_000_000_000i32.to_le_bytes());
    b.push(types::STRING);
    put_string(&mut b, b"k1");
    put_string(&mut b, b"v1");
    b.push(opcode::FREQ);
    b.push(7);
    b.push(types::STRING);
    put_string(&mut b, b"k2");
    put_string(&mut b, b"v2");
    b.push(opcode::EOF);
    b.extend_from_slice(&[0; 8]);
    let ev = read_all(&b).unwrap();
    let mut seen = 0;
    for e in &ev {
        if let RdbEvent::Entry {
            db,
            key,
            entry,
            idle,
            freq,
            ..
        } = e
        {
            assert_eq!(*db, 2);
            if key == b"k1" {
                assert_eq!((*idle, *freq), (Some(100), None));
                assert_eq!(entry.access as u64, NOW / 1000 - 100);
                assert_eq!(entry.expire_at(), Some(2_000_000_000_000));
            } else {
                assert_eq!((*idle, *freq), (None, Some(7)));
                assert_eq!(entry.expire_at(), None);
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 2);
    assert!(matches!(
        ev.last(),
        Some(RdbEvent::Eof {
            checksum: Checksum::NotComputed
        })
    ));
}

/// A version-`v` file holding one key of type `ty` with body `body`.
fn one_key(v: &str, ty: u8, body: &[u8]) -> Vec<u8> {
    let mut b = format!("REDIS{v}").into_bytes();
    b.push(ty);
    put_string(&mut b, b"key");
    b.extend_from_slice(body);
    b.push(opcode::EOF);
    if v >= "0005" {
        let c = crc64(&b);
        b.extend_from_slice(&c.to_le_bytes());
    }
    b
}

fn load_one(file: &[u8]) -> Value {
    let ev = read_all(file).unwrap();
    let mut vals = entries_of(&ev);
    assert_eq!(vals.len(), 1);
    vals.remove(0).2.value.clone()
}

#[test]
fn older_encodings_load() {
    let items: Vec<&[u8]> = vec![b"a", b"12", b"-7", b"hello", b"3000000000"];
    let want_list = list(&items.iter().map(|x| x.to_vec()).collect::<Vec<_>>());
    // LIST (1)
    let mut body = Vec::new();
    put_len(&mut body, items.len() as u64);
    for it in &items {
        put_string(&mut body, it);
    }
    assert_eq!(load_one(&one_key("0006", types::LIST, &body)), want_list);
    // LIST_ZIPLIST (10)
    let mut body = Vec::new();
    put_string(&mut body, &build_ziplist(&items));
    assert_eq!(
        load_one(&one_key("0006", types::LIST_ZIPLIST, &body)),
        want_list
    );
    // LIST_QUICKLIST (14): two ziplist nodes.
    let mut body = Vec::new();
    put_len(&mut body, 2);
    put_string(&mut body, &build_ziplist(&items[..2]));
    put_string(&mut body, &build_ziplist(&items[2..]));
    assert_eq!(
        load_one(&one_key("0009", types::LIST_QUICKLIST, &body)),
        want_list
    );
    // LIST_QUICKLIST_2 with a PLAIN node.
    let mut body = Vec::new();
    put_len(&mut body, 2);
    put_len(&mut body, container::PACKED);
    let mut lp = Listpack::new();
    lp.push(b"a");
    put_string(&mut body, &lp.finish());
    put_len(&mut body, container::PLAIN);
    put_string(&mut body, b"plain");
    assert_eq!(
        load_one(&one_key("0010", types::LIST_QUICKLIST_2, &body)),
        list(&[b"a".to_vec(), b"plain".to_vec()])
    );
    // SET (2) of integers loads as an intset.
    let mut body = Vec::new();
    put_len(&mut body, 3);
    for m in [&b"3"[..], b"1", b"2"] {
        put_string(&mut body, m);
    }
    let v = load_one(&one_key("0006", types::SET, &body));
    assert_eq!(v.encoding(), "intset");
    assert_eq!(v, set(&[b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]));
    // SET_INTSET (11) beyond 512 entries converts.
    let ints: Vec<i64> = (0..600).collect();
    let mut body = Vec::new();
    put_string(&mut body, &build_intset(&ints));
    assert_eq!(
        load_one(&one_key("0006", types::SET_INTSET, &body)).encoding(),
        "hashtable"
    );
    // ZSET (3): string scores.
    let mut body = Vec::new();
    put_len(&mut body, 3);
    for (m, sc) in [
        (&b"a"[..], &b"\x031.5"[..]),
        (b"b", &[254u8][..]),
        (b"c", b"\x02-2"),
    ] {
        put_string(&mut body, m);
        body.extend_from_slice(sc);
    }
    let v = load_one(&one_key("0006", types::ZSET, &body));
    let Value::ZSet(z) = &v else { panic!() };
    assert_eq!(
        z.iter().map(|(s, m)| (s, m.to_vec())).collect::<Vec<_>>(),
        vec![
            (-2.0, b"c".to_vec()),
            (1.5, b"a".to_vec()),
            (f64::INFINITY, b"b".to_vec())
        ]
    );
    assert_eq!(v.encoding(), "listpack");
    // ZSET_ZIPLIST (12)
    let mut body = Vec::new();
    put_string(&mut body, &build_ziplist(&[b"x", b"1", b"y", b"2.5"]));
    let v = load_one(&one_key("0008", types::ZSET_ZIPLIST, &body));
    let Value::ZSet(z) = &v else { panic!() };
    assert_eq!(z.score(b"y"), Some(2.5));
    // HASH (4), HASH_ZIPMAP (9), HASH_ZIPLIST (13)
    let mut want = Hash::new();
    want.set(b"f1", b"v1");
    want.set(b"f2", b"22");
    let want = Value::Hash(want);
    let mut body = Vec::new();
    put_len(&mut body, 2);
    for x in [&b"f1"[..], b"v1", b"f2", b"22"] {
        put_string(&mut body, x);
    }
    assert_eq!(load_one(&one_key("0006", types::HASH, &body)), want);
    let mut body = Vec::new();
    put_string(&mut body, &build_zipmap(&[(b"f1", b"v1"), (b"f2", b"22")]));
    assert_eq!(load_one(&one_key("0003", types::HASH_ZIPMAP, &body)), want);
    let mut body = Vec::new();
    put_string(&mut body, &build_ziplist(&[b"f1", b"v1", b"f2", b"22"]));
    let v = load_one(&one_key("0009", types::HASH_ZIPLIST, &body));
    assert_eq!(v, want);
    assert_eq!(v.encoding(), "listpack");
}

#[test]
fn duplicates_nan_and_empty_collections_are_handled_as_redis() {
    let mut body = Vec::new();
    put_len(&mut body, 2);
    put_string(&mut body, b"a");
    put_string(&mut body, b"a");
    assert!(read_all(&one_key("0006", types::SET, &body)).is_err());
    let mut body = Vec::new();
    put_len(&mut body, 1);
    put_string(&mut body, b"m");
    body.push(253);
    assert!(read_all(&one_key("0006", types::ZSET, &body)).is_err());
    let mut lp = Listpack::new();
    for x in [&b"f"[..], b"1", b"f", b"2"] {
        lp.push(x);
    }
    let mut body = Vec::new();
    put_string(&mut body, &lp.finish());
    assert!(read_all(&one_key("0010", types::HASH_LISTPACK, &body)).is_err());
    // An empty list is skipped, not loaded.
    let mut body = Vec::new();
    put_len(&mut body, 0);
    let ev = read_all(&one_key("0010", types::LIST_QUICKLIST_2, &body)).unwrap();
    assert!(ev.iter().any(|e| matches!(e, RdbEvent::EmptyKey { .. })));
    assert!(entries_of(&ev).is_empty());
}

#[test]
fn headers_versions_and_checksums_are_checked() {
    assert!(matches!(
        RdbReader::new(&b"REDIS0011"[..]),
        Err(RdbError::UnsupportedVersion(11))
    ));
    assert!(matches!(
        RdbReader::new(&b"REDIS0000"[..]),
        Err(RdbError::UnsupportedVersion(0))
    ));
    assert!(matches!(
        RdbReader::new(&b"RADIS0010"[..]),
        Err(RdbError::BadMagic)
    ));
    assert!(matches!(
        RdbReader::new(&b"REDIS00"[..]),
        Err(RdbError::BadMagic)
    ));
    assert!(RdbReader::new(&b"REDIS0001"[..]).is_ok());
    let good = write_file(&[(0, b"k".to_vec(), Entry::loaded(s(b"v"), 0, 0))]);
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 1] ^= 0x55;
    assert!(matches!(read_all(&bad), Err(RdbError::Checksum { .. })));
    // A flipped byte in the data is caught by the checksum at the latest.
    let mut flipped = good.clone();
    let at = flipped.len() - 12;
    flipped[at] ^= 1;
    assert!(read_all(&flipped).is_err());
    assert!(matches!(
        read_all(&good[..good.len() - 3]),
        Err(RdbError::Truncated)
    ));
}

#[test]
fn malformed_files_are_errors_not_panics() {
    let mut input = Vec::new();
    for (name, v) in samples() {
        let small = [
            "int",
            "embstr",
            "raw",
            "list-small",
            "intset-64",
            "set-small",
        ];
        if !small.contains(&name)
            && !name.starts_with("hash-listpack")
            && !name.starts_with("zset-l")
        {
            continue;
        }
        input.push((0, name.as_bytes().to_vec(), Entry::loaded(v, NOW + 5, 0)));
    }
    let good = write_file(&input);
    read_all(&good).unwrap();
    // Every truncation is an error.
    for cut in 0..good.len() {
        assert!(read_all(&good[..cut]).is_err(), "cut at {cut}");
    }
    // Every single-byte change: no panic (most are errors; a few hit the checksum only).
    for i in 9..good.len() - 9 {
        for x in [0x00u8, 0x3f, 0x40, 0x80, 0x81, 0xc0, 0xc3, 0xfe, 0xff] {
            let mut bad = good.clone();
            bad[i] = x;
            let _ = read_all(&bad);
            let _ = restore_payload(&bad[9..]);
        }
    }
}

#[test]
fn lying_lengths_do_not_allocate() {
    // A list claiming 2^60 elements, a string claiming 4 GiB: errors, quickly.
    let mut body = Vec::new();
    put_len(&mut body, 1 << 60);
    assert!(read_all(&one_key("0010", types::LIST, &body)).is_err());
    let mut body = vec![0x80, 0xff, 0xff, 0xff, 0xff];
    body.extend_from_slice(b"abc");
    assert!(read_all(&one_key("0010", types::STRING, &body)).is_err());
    let mut body = Vec::new();
    put_len(&mut body, 1 << 40);
    assert!(read_all(&one_key("0010", types::ZSET_2, &body)).is_err());
}

#[test]
fn a_keyspace_snapshot_through_rdb_encoder_reads_back() {
    use crate::keyspace::Keyspace;
    let ks = Keyspace::new(16, 16);
    let samples = samples();
    for (i, (name, v)) in samples.iter().enumerate() {
        let db = i % 3;
        let mut l = ks.lock_keys([name.as_bytes()].into_iter(), db, NOW);
        let at = if i % 2 == 0 { NOW + 1000 } else { 0 };
        l.insert(name.as_bytes(), v.clone(), at);
    }
    let mut w = RdbWriter::new(Vec::new()).unwrap();
    w.aux_defaults(0, false).unwrap();
    ks.snapshot(&RDB_ENCODER, NOW, |chunk| w.chunk(chunk))
        .unwrap();
    let bytes = w.finish().unwrap();
    let events = read_all(&bytes).unwrap();
    let got = entries_of(&events);
    assert_eq!(got.len(), samples.len());
    for (i, (name, v)) in samples.iter().enumerate() {
        let (db, _, e) = got.iter().find(|g| g.1 == name.as_bytes()).unwrap();
        assert_eq!(*db, (i % 3) as u64, "{name}");
        assert_eq!(&e.value, v, "{name}");
        assert_eq!(e.expire_at(), (i % 2 == 0).then_some(NOW + 1000), "{name}");
    }
}

#[test]
fn idle_times_are_written_when_asked_for() {
    let mut w = RdbWriter::new(Vec::new()).unwrap().save_idle(true);
    w.select_db(0, 1, 0).unwrap();
    let e = Entry::loaded(s(b"v"), NOW + 10_000, (NOW / 1000 - 42) as u32);
    w.entry(b"k", &e, NOW).unwrap();
    let bytes = w.finish().unwrap();
    let ev = read_all(&bytes).unwrap();
    let idle = ev.iter().find_map(|e| match e {
        RdbEvent::Entry { idle, entry, .. } => Some((*idle, entry.access, entry.expire_at())),
        _ => None,
    });
    assert_eq!(
        idle,
        Some((Some(42), (NOW / 1000 - 42) as u32, Some(NOW + 10_000)))
    );
}

#[test]
fn random_damage_is_an_error_or_a_valid_read_never_a_panic() {
    use rand::{Rng, SeedableRng};
    let mut input = Vec::new();
    for (name, v) in samples() {
        if [
            "int",
            "raw",
            "list-small",
            "intset",
            "set-small",
            "hash-listpack",
            "zset-listpack",
        ]
        .contains(&name)
        {
            input.push((1, name.as_bytes().to_vec(), Entry::loaded(v, 0, 0)));
        }
    }
    let good = write_file(&input);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..3000 {
        let mut bad = good.clone();
        for _ in 0..rng.gen_range(1..4) {
            let i = rng.gen_range(9..bad.len());
            bad[i] = rng.gen();
        }
        if rng.gen_bool(0.2) {
            bad.truncate(rng.gen_range(9..bad.len()));
        }
        // Without the checksum, so damage reaches the value decoders.
        let n = bad.len();
        if n > 8 {
            bad[n - 8..].fill(0);
        }
        let _ = read_all(&bad);
        let _ = restore_payload(&bad[9..]);
    }
}
