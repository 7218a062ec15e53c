//! The multi-part AOF files against redis-server 7.0.15 itself: the manifest Redis writes
//! parses (and renders back byte for byte), the RDB-preamble base and the incr file read
//! command by command, and `shoal-server --check-aof` passes them, reports a cut tail as
//! redis-check-aof does, and `--fix` truncates it to `ok_up_to`.
//!
//! These tests need /usr/bin/redis-server (they ignore SHOAL_TEST_AGAINST) and skip with a
//! message when it is absent.
mod redis_peer;
mod support;
use redis_peer::*;
use support::*;

use shoal::persistence::aof::manifest::{FileKind, Manifest};
use shoal::persistence::aof::reader::AofReader;
use shoal::persistence::rdb::{Checksum, RdbEvent};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const SHOAL: &str = env!("CARGO_BIN_EXE_shoal-server");
const REDIS_CHECK_AOF: &str = "/usr/bin/redis-check-aof";

fn info_persistence(c: &mut redis::Connection) -> String {
    redis::cmd("INFO").arg("persistence").query(c).unwrap()
}

/// Polls INFO persistence until no AOF rewrite runs or waits to run (bounded).
fn wait_no_rewrite(c: &mut redis::Connection) {
    let idle = poll_until(Duration::from_secs(30), || {
        let info = info_persistence(c);
        info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0")
    });
    assert!(idle, "AOF rewrite did not finish: {}", info_persistence(c));
}

/// Runs a checker on `path`; returns its exit code and stdout.
fn run(program: &str, args: &[&str], path: &Path) -> (i32, String) {
    let out = Command::new(program)
        .args(args)
        .arg(path)
        .output()
        .expect("run checker");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The lines both checkers print the same way (not the RDB preamble's report, whose format
/// is `--check-rdb`'s).
fn aof_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| {
            l.starts_with("AOF ")
                || l.starts_with("0x")
                || l.starts_with("Start")
                || l.starts_with("BASE AOF")
                || l.starts_with("INCR AOF")
                || l.starts_with("All AOF")
                || l.starts_with("Successfully")
                || l.starts_with("This will shrink")
        })
        .collect()
}

fn lower_first(mut cmd: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    cmd[0].make_ascii_lowercase();
    cmd
}

fn words(s: &str) -> Vec<Vec<u8>> {
    s.split(' ').map(|w| w.as_bytes().to_vec()).collect()
}

/// Starts redis-server with `appendonly yes`, fills it, rewrites the AOF (an RDB-preamble
/// base), writes more commands (the incr file), and copies the AOF directory into `into`.
/// Returns the copy's path and the commands written after the rewrite.
fn redis_multi_part_aof(into: &Path) -> (PathBuf, Vec<Vec<Vec<u8>>>) {
    let r = Redis::start_with(
        None,
        &["--appendonly", "yes", "--aof-use-rdb-preamble", "yes"],
    );
    let mut c = r.client();
    wait_no_rewrite(&mut c);
    populate(&mut c);
    let _: String = redis::cmd("BGREWRITEAOF").query(&mut c).unwrap();
    wait_no_rewrite(&mut c);

    let mut c = r.client();
    let after = [
        "SELECT 3",
        "SET after:1 one",
        "RPUSH after:list a b c",
        "HSET after:hash f v g w",
        "INCR after:counter",
    ];
    for cmd in after {
        let w = words(cmd);
        let mut q = redis::cmd(cmd.split(' ').next().unwrap());
        for a in &w[1..] {
            q.arg(&a[..]);
        }
        let _: redis::Value = q.query(&mut c).unwrap();
    }
    let _: redis::Value = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("after:tx")
        .arg("1")
        .cmd("INCR")
        .arg("after:tx")
        .query(&mut c)
        .unwrap();
    let mut expected: Vec<Vec<Vec<u8>>> = after.iter().map(|s| words(s)).collect();
    expected.extend([
        words("MULTI"),
        words("SET after:tx 1"),
        words("INCR after:tx"),
        words("EXEC"),
    ]);
    let expected: Vec<_> = expected.into_iter().map(lower_first).collect();

    // Redis writes the AOF before it replies; poll (bounded) for the last command anyway.
    let src = r.dir.join("appendonlydir");
    let manifest = Manifest::load(&src, "appendonly.aof.manifest")
        .unwrap()
        .expect("manifest");
    let incr = src.join(&manifest.incrs.last().expect("an incr file").name);
    let complete = poll_until(Duration::from_secs(10), || {
        std::fs::read(&incr).is_ok_and(|b| b.ends_with(b"$4\r\nEXEC\r\n"))
    });
    assert!(complete, "the incr file never held the EXEC");

    let dst = into.join("appendonlydir");
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dst.join(e.file_name())).unwrap();
    }
    (dst, expected)
}

#[test]
fn redis_multi_part_aof_is_read_and_checked() {
    if !have_redis() {
        return;
    }
    let tmp = TempDir::new("check-aof");
    let (dir, expected) = redis_multi_part_aof(&tmp.0);
    let name = Manifest::manifest_name("appendonly.aof");
    let manifest_path = dir.join(&name);

    // The manifest parses, and renders back to the very text Redis wrote.
    let text = std::fs::read_to_string(&manifest_path).unwrap();
    let m = Manifest::load(&dir, &name)
        .unwrap()
        .expect("manifest present");
    assert_eq!(m.render(), text);
    let base = m.base.clone().expect("a base after BGREWRITEAOF");
    assert_eq!(base.kind, FileKind::Base);
    assert_eq!(
        base.name,
        Manifest::base_name("appendonly.aof", base.seq, true)
    );
    assert_eq!(m.incrs.len(), 1, "{text}");
    let incr = m.incrs[0].clone();
    assert_eq!(incr.name, Manifest::incr_name("appendonly.aof", incr.seq));
    assert_eq!(m.files().count(), 2);

    // The base is an RDB with every key populate() wrote, and nothing after it.
    let mut rd = AofReader::open(dir.join(&base.name)).unwrap();
    assert!(rd.has_rdb_preamble());
    let mut keys = 0;
    {
        let mut rdb = rd.rdb_preamble().unwrap();
        loop {
            match rdb.next_event().unwrap() {
                Some(RdbEvent::Entry { .. }) => keys += 1,
                Some(RdbEvent::Eof { checksum }) => {
                    assert!(matches!(checksum, Checksum::Verified(_)));
                    break;
                }
                Some(_) => {}
                None => panic!("RDB ended before EOF"),
            }
        }
    }
    assert!(keys > 10, "{keys} keys in the base");
    assert!(rd.next_command().unwrap().is_none());
    let base_len = std::fs::metadata(dir.join(&base.name)).unwrap().len();
    assert_eq!(rd.valid_up_to(), base_len);

    // The incr file holds exactly the commands written after the rewrite.
    let incr_path = dir.join(&incr.name);
    let incr_len = std::fs::metadata(&incr_path).unwrap().len();
    let mut rd = AofReader::open(&incr_path).unwrap();
    assert!(!rd.has_rdb_preamble());
    let mut got = Vec::new();
    while let Some(cmd) = rd.next_command().unwrap() {
        got.push(lower_first(cmd));
    }
    assert_eq!(got, expected);
    assert_eq!(rd.valid_up_to(), incr_len);

    // --check-aof passes it, as redis-check-aof does, with the same report lines.
    let (code, out) = run(SHOAL, &["--check-aof"], &manifest_path);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("RDB preamble is OK, proceeding with AOF tail..."),
        "{out}"
    );
    assert!(
        out.ends_with("All AOF files and manifest are valid\n"),
        "{out}"
    );
    if Path::new(REDIS_CHECK_AOF).exists() {
        let (rcode, rout) = run(REDIS_CHECK_AOF, &[], &manifest_path);
        assert_eq!(rcode, 0, "{rout}");
        assert_eq!(aof_lines(&out), aof_lines(&rout));
    }
    // The directory works too.
    assert_eq!(run(SHOAL, &["--check-aof"], &dir).0, 0);

    // Cut the incr file inside its last command: not valid, and said where.
    let cut = incr_len - 3;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&incr_path)
        .unwrap()
        .set_len(cut)
        .unwrap();
    let (code, out) = run(SHOAL, &["--check-aof"], &manifest_path);
    assert_eq!(code, 1, "{out}");
    let analyzed = out
        .lines()
        .find(|l| l.starts_with(&format!("AOF analyzed: filename={}", incr.name)))
        .unwrap_or_else(|| panic!("{out}"))
        .to_string();
    assert!(analyzed.contains(&format!("size={cut}, ")), "{analyzed}");
    assert!(out.contains(&format!(
        "AOF {} is not valid. Use the --fix option to try fixing it.",
        incr.name
    )));
    let ok_up_to: u64 = analyzed
        .split("ok_up_to=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    // The cut is inside the MULTI block: the good prefix ends before MULTI.
    let multi_at = {
        let bytes = std::fs::read(&incr_path).unwrap();
        let needle = b"*1\r\n$5\r\nMULTI\r\n";
        bytes
            .windows(needle.len())
            .position(|w| w.eq_ignore_ascii_case(needle))
            .unwrap() as u64
    };
    assert_eq!(ok_up_to, multi_at);
    if Path::new(REDIS_CHECK_AOF).exists() {
        let (rcode, rout) = run(REDIS_CHECK_AOF, &[], &manifest_path);
        assert_eq!(rcode, 1, "{rout}");
        assert_eq!(aof_lines(&out), aof_lines(&rout));
    }

    // --fix truncates to ok_up_to without asking; then the AOF is valid for both checkers.
    let (code, out) = run(SHOAL, &["--check-aof", "--fix"], &manifest_path);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("Successfully truncated AOF {}", incr.name)),
        "{out}"
    );
    assert_eq!(std::fs::metadata(&incr_path).unwrap().len(), ok_up_to);
    let (code, out) = run(SHOAL, &["--check-aof"], &manifest_path);
    assert_eq!(code, 0, "{out}");
    if Path::new(REDIS_CHECK_AOF).exists() {
        let (rcode, rout) = run(REDIS_CHECK_AOF, &[], &manifest_path);
        assert_eq!(rcode, 0, "{rout}");
        assert_eq!(aof_lines(&out), aof_lines(&rout));
    }
}

#[test]
fn a_manifest_shoal_stores_is_accepted_by_redis_check_aof() {
    if !Path::new(REDIS_CHECK_AOF).exists() {
        eprintln!("skipped: {REDIS_CHECK_AOF} is not installed");
        return;
    }
    let tmp = TempDir::new("check-aof-store");
    let prefix = "appendonly.aof";
    let m = Manifest {
        base: Some(shoal::persistence::aof::manifest::AofFile {
            name: Manifest::base_name(prefix, 1, false),
            seq: 1,
            kind: FileKind::Base,
        }),
        incrs: vec![shoal::persistence::aof::manifest::AofFile {
            name: Manifest::incr_name(prefix, 1),
            seq: 1,
            kind: FileKind::Incr,
        }],
        history: vec![],
    };
    m.store(&tmp.0, &Manifest::manifest_name(prefix)).unwrap();
    std::fs::write(
        tmp.0.join(Manifest::base_name(prefix, 1, false)),
        resp(&[b"SET", b"k", b"v"]),
    )
    .unwrap();
    std::fs::write(
        tmp.0.join(Manifest::incr_name(prefix, 1)),
        resp(&[b"INCR", b"n"]),
    )
    .unwrap();
    let manifest_path = tmp.0.join(Manifest::manifest_name(prefix));
    let (rcode, rout) = run(REDIS_CHECK_AOF, &[], &manifest_path);
    assert_eq!(rcode, 0, "{rout}");
    let (code, out) = run(SHOAL, &["--check-aof"], &manifest_path);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, rout);
}
