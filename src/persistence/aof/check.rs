//! `shoal-server --check-aof [--fix] <file.manifest|file.aof|dir>`: checks an AOF in the
//! manner of redis-check-aof 7.0 (`redis-check-aof.c`), with its messages, so its output can be
//! read the same way and a file it passes loads in both servers.
//!
//! The input is told apart as redis-check-aof does (`getInputFileType`): a file whose first
//! non-comment line starts with `file` is a manifest (a multi-part AOF: the base, then every
//! incr file, each in the manifest's directory); else a file starting with `REDIS` is an old
//! AOF with an RDB preamble; else an old AOF of commands. shoal also takes the AOF directory
//! itself and checks the one `*.manifest` in it.
//!
//! Each file is read with [`AofReader`]; an RDB preamble is checked as `--check-rdb` checks
//! a file and its report printed. A file is reported as
//! `AOF analyzed: filename=<name>, size=<bytes>, ok_up_to=<bytes>, ok_up_to_line=<n>,
//! diff=<bytes>`: `ok_up_to` is the end of the last good item outside a MULTI/EXEC block, and
//! `ok_up_to_line` counts RESP lines from 1 across all files checked, as redis-check-aof does.
//! With `diff > 0` the check fails (`AOF <name> is not valid. Use the --fix option to try
//! fixing it.`) unless `--fix` is given, which truncates the file to `ok_up_to` (only the last
//! file of a multi-part AOF, as redis-check-aof). redis-check-aof asks `Continue? [y/N]:` on
//! stdin first; shoal does not ask: `--fix` is the consent, so it can run unattended.
//!
//! Not done: `--truncate-to-timestamp`. Exit code 0 when everything is valid (or was fixed), 1
//! otherwise.

use super::manifest::{Manifest, ManifestError};
use super::reader::{AofError, AofReader, RDB_MAGIC};
use crate::persistence::rdb::check_rdb_reader;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The usage line printed for bad arguments.
pub const USAGE: &str = "Usage: shoal-server --check-aof [--fix] <file.manifest|file.aof|dir>";

/// Parses `[--fix] <path>` (the arguments after `--check-aof`), checks, writes the report to
/// `out`; returns the exit code: 0 valid (or fixed), 1 not.
pub fn run(args: &[String], out: &mut dyn Write) -> i32 {
    let (fix, path) = match args {
        [path] if path != "--fix" => (false, path),
        [flag, path] if flag == "--fix" => (true, path),
        _ => {
            let _ = writeln!(out, "{USAGE}");
            return 1;
        }
    };
    check_aof(Path::new(path), fix, out)
}

/// Checks the AOF at `path` (a manifest, a single AOF file, or the AOF directory); `fix`
/// truncates a bad tail of the last file. Writes redis-check-aof's report to `out`; returns
/// the exit code (0 valid or fixed, 1 not).
pub fn check_aof(path: &Path, fix: bool, out: &mut dyn Write) -> i32 {
    let mut c = Checker { out, fix, line: 1 };
    match c.check(path) {
        Ok(()) => 0,
        Err(Exit) => 1,
    }
}

/// The check stopped: the reason was printed, the exit code is 1 (redis-check-aof's
/// `exit(1)`).
struct Exit;

/// How one file ended (`AOF_CHECK_OK`, `AOF_CHECK_EMPTY`, `AOF_CHECK_TRUNCATED`).
enum Single {
    Ok,
    Empty,
    Truncated,
}

struct Checker<'a> {
    out: &'a mut dyn Write,
    fix: bool,
    /// redis-check-aof's global `line`: 1 plus the RESP lines read so far, over all files.
    line: u64,
}

/// `strerror` text of an I/O error, without Rust's ` (os error N)`.
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Whether the first non-comment line of the file starts with `file` (`fileIsManifest`).
fn is_manifest(path: &Path) -> std::io::Result<bool> {
    let mut text = Vec::new();
    File::open(path)?.take(1 << 20).read_to_end(&mut text)?;
    Ok(text
        .split(|&b| b == b'\n')
        .find(|l| l.first() != Some(&b'#'))
        .is_some_and(|l| l.starts_with(b"file")))
}

/// Whether the file is at least 8 bytes and starts with `REDIS` (`fileIsRDB`).
fn is_rdb(path: &Path) -> std::io::Result<bool> {
    let mut head = Vec::new();
    File::open(path)?.take(8).read_to_end(&mut head)?;
    Ok(head.len() == 8 && head.starts_with(RDB_MAGIC))
}

/// The one `*.manifest` (not `temp-*`) in `dir`.
fn manifest_in(dir: &Path) -> Result<PathBuf, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("Cannot read directory {}: {}", dir.display(), strerror(&e)))?;
    let found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".manifest") && !n.starts_with("temp-"))
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("No AOF manifest found in {}", dir.display())),
        _ => Err(format!(
            "More than one AOF manifest in {}, name the one to check",
            dir.display()
        )),
    }
}

impl Checker<'_> {
    fn say(&mut self, text: std::fmt::Arguments<'_>) {
        let _ = writeln!(self.out, "{text}");
    }

    /// Reports that `path` could not be opened (redis-check-aof's `Cannot open file %s: %s`,
    /// with `suffix` after it) and ends the check.
    fn cannot_open(&mut self, path: &Path, e: &std::io::Error, suffix: &str) -> Exit {
        self.say(format_args!(
            "Cannot open file {}: {}{suffix}",
            path.display(),
            strerror(e)
        ));
        Exit
    }

    fn check(&mut self, path: &Path) -> Result<(), Exit> {
        let path = if path.is_dir() {
            manifest_in(path).map_err(|e| {
                self.say(format_args!("{e}"));
                Exit
            })?
        } else {
            path.to_path_buf()
        };
        let manifest = is_manifest(&path).map_err(|e| self.cannot_open(&path, &e, ""))?;
        if manifest {
            return self.check_multi_part(&path);
        }
        let preamble = is_rdb(&path).unwrap_or(false);
        self.say(format_args!("Start checking Old-Style AOF"));
        let name = path.display().to_string();
        match self.check_single(&name, &path, true, preamble)? {
            Single::Ok => self.say(format_args!("AOF {name} is valid")),
            Single::Empty => self.say(format_args!("AOF {name} is empty")),
            Single::Truncated => self.say(format_args!("Successfully truncated AOF {name}")),
        }
        Ok(())
    }

    /// `checkMultiPartAof`: the manifest, then the base, then every incr file.
    fn check_multi_part(&mut self, manifest_path: &Path) -> Result<(), Exit> {
        self.say(format_args!("Start checking Multi Part AOF"));
        let text = std::fs::read(manifest_path).map_err(|e| {
            self.say(format_args!(
                "Fatal error: can't open the AOF manifest file {} for reading: {}",
                manifest_path.display(),
                strerror(&e)
            ));
            Exit
        })?;
        let parsed = match String::from_utf8(text) {
            Ok(t) => Manifest::parse_detailed(&t),
            Err(_) => Err(ManifestError {
                message: super::manifest::errors::INVALID,
                line: None,
            }),
        };
        let m = parsed.map_err(|e| {
            let _ = write!(self.out, "{}", e.report());
            Exit
        })?;
        let dir = manifest_path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let total = m.files().count();
        let mut seen = 0;
        if let Some(base) = &m.base {
            seen += 1;
            let path = dir.join(&base.name);
            let preamble = is_rdb(&path).map_err(|e| self.cannot_open(&path, &e, ""))?;
            self.say(format_args!(
                "Start to check BASE AOF ({} format).",
                if preamble { "RDB" } else { "RESP" }
            ));
            let r = self.check_single(&base.name, &path, seen == total, preamble)?;
            self.report("BASE", &base.name, r);
        }
        if !m.incrs.is_empty() {
            self.say(format_args!("Start to check INCR files."));
            for incr in &m.incrs {
                seen += 1;
                let r =
                    self.check_single(&incr.name, &dir.join(&incr.name), seen == total, false)?;
                self.report("INCR", &incr.name, r);
            }
        }
        self.say(format_args!("All AOF files and manifest are valid"));
        Ok(())
    }

    fn report(&mut self, what: &str, name: &str, r: Single) {
        match r {
            Single::Ok => self.say(format_args!("{what} AOF {name} is valid")),
            Single::Empty => self.say(format_args!("{what} AOF {name} is empty")),
            Single::Truncated => self.say(format_args!("Successfully truncated AOF {name}")),
        }
    }

    /// `checkSingleAof`: one file, `name` as printed, `path` to open.
    fn check_single(
        &mut self,
        name: &str,
        path: &Path,
        last_file: bool,
        preamble: bool,
    ) -> Result<Single, Exit> {
        let file = File::open(path).map_err(|e| self.cannot_open(path, &e, ", aborting..."))?;
        let size = file.metadata().map(|m| m.len()).map_err(|_| {
            self.say(format_args!("Cannot stat file: {name}, aborting..."));
            Exit
        })?;
        if size == 0 {
            return Ok(Single::Empty);
        }
        let mut rd = AofReader::new(file).map_err(|e| {
            self.say(format_args!(
                "Failed to read from AOF {name}: {}, aborting...",
                strerror(&e)
            ));
            Exit
        })?;
        if preamble {
            match check_rdb_reader(rd.rdb_input()) {
                Ok(report) => {
                    let _ = write!(self.out, "{}", report.render(name));
                    self.say(format_args!(
                        "RDB preamble is OK, proceeding with AOF tail..."
                    ));
                }
                Err(e) => {
                    self.say(format_args!("[offset 0] Checking RDB file {name}"));
                    self.say(format_args!("{e}"));
                    self.say(format_args!(
                        "RDB preamble of AOF file is not sane, aborting."
                    ));
                    return Err(Exit);
                }
            }
        }

        // `pos`: the end of the last good item outside MULTI/EXEC (redis-check-aof only
        // moves it while no transaction is open).
        let mut pos = rd.offset();
        let mut multi = 0u32;
        let mut error = String::new();
        let mut argv = Vec::new();
        let path_text = path.display().to_string();
        loop {
            match rd.read_command(&mut argv) {
                Ok(true) => {
                    let cmd = argv.first().map(Vec::as_slice).unwrap_or_default();
                    if cmd.eq_ignore_ascii_case(b"multi") {
                        if multi > 0 {
                            error = epos_error(
                                rd.last_read_at(),
                                &format!("Unexpected MULTI in AOF {path_text}"),
                            );
                            break;
                        }
                        multi = 1;
                        pos = rd.last_command_at();
                    } else if cmd.eq_ignore_ascii_case(b"exec") {
                        if multi != 1 {
                            error = epos_error(
                                rd.last_read_at(),
                                &format!("Unexpected EXEC in AOF {path_text}"),
                            );
                            pos = rd.last_command_at();
                            break;
                        }
                        multi = 0;
                    }
                    if multi == 0 {
                        pos = rd.valid_up_to();
                    }
                }
                Ok(false) => {
                    if multi == 0 {
                        pos = rd.valid_up_to();
                    } else {
                        error = epos_error(
                            rd.last_read_at(),
                            "Reached EOF before reading EXEC for MULTI",
                        );
                    }
                    break;
                }
                Err(e) => {
                    if multi == 0 {
                        pos = rd.valid_up_to();
                    }
                    match e {
                        AofError::NotCommand { .. } => {
                            self.say(format_args!("AOF {name} format error"))
                        }
                        AofError::Truncated { at, detail } | AofError::Format { at, detail } => {
                            if !detail.is_empty() {
                                error = epos_error(at, &detail);
                            }
                        }
                        AofError::Io(e) => {
                            self.say(format_args!(
                                "Failed to read from AOF {name}, aborting... ({})",
                                strerror(&e)
                            ));
                            return Err(Exit);
                        }
                    }
                    break;
                }
            }
        }
        self.line += rd.lines();
        drop(rd);
        if !error.is_empty() {
            self.say(format_args!("{error}"));
        }
        let diff = size.saturating_sub(pos);
        let line = self.line;
        self.say(format_args!(
            "AOF analyzed: filename={name}, size={size}, ok_up_to={pos}, ok_up_to_line={line}, diff={diff}"
        ));
        if diff == 0 {
            return Ok(Single::Ok);
        }
        if !self.fix {
            self.say(format_args!(
                "AOF {name} is not valid. Use the --fix option to try fixing it."
            ));
            return Err(Exit);
        }
        if !last_file {
            self.say(format_args!(
                "Failed to truncate AOF {name} because it is not the last file"
            ));
            return Err(Exit);
        }
        self.say(format_args!(
            "This will shrink the AOF {name} from {size} bytes, with {diff} bytes, to {pos} bytes"
        ));
        let truncated = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| {
                f.set_len(pos)?;
                f.sync_all()
            });
        match truncated {
            Ok(()) => Ok(Single::Truncated),
            Err(_) => {
                self.say(format_args!("Failed to truncate AOF {name}"));
                Err(Exit)
            }
        }
    }
}

/// redis-check-aof's `ERROR()` line: the offset as `0x%16llx` (padded with blanks), the text.
fn epos_error(at: u64, text: &str) -> String {
    format!("0x{at:16x}: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(args: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        crate::keyspace::feed::encode(&mut v, args);
        v
    }

    struct Dir(PathBuf);
    impl Dir {
        fn new(tag: &str) -> Dir {
            let d =
                std::env::temp_dir().join(format!("shoal-checkaof-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(&d).unwrap();
            Dir(d)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn check(path: &Path, fix: bool) -> (i32, String) {
        let mut out = Vec::new();
        let code = check_aof(path, fix, &mut out);
        (code, String::from_utf8(out).unwrap())
    }

    /// The file redis-check-aof 7.0.15 was run on for the expected texts below.
    fn sample() -> Vec<u8> {
        [
            resp(&[b"SELECT", b"0"]),
            resp(&[b"hset", b"h", b"f", b"v"]),
            resp(&[b"set", b"sp ace", b"v"]),
            resp(&[b"MULTI"]),
            resp(&[b"SET", b"t", b"1"]),
            resp(&[b"INCR", b"t"]),
            resp(&[b"EXEC"]),
        ]
        .concat()
    }

    #[test]
    fn old_style_file_reports_as_redis_check_aof() {
        let d = Dir::new("old");
        let p = d.0.join("old.aof");
        std::fs::write(&p, sample()).unwrap();
        let (code, out) = check(&p, false);
        let name = p.display();
        assert_eq!(code, 0, "{out}");
        assert_eq!(
            out,
            format!(
                "Start checking Old-Style AOF\nAOF analyzed: filename={name}, size=167, \
                 ok_up_to=167, ok_up_to_line=40, diff=0\nAOF {name} is valid\n"
            )
        );
    }

    #[test]
    fn a_cut_inside_a_transaction_goes_back_before_multi() {
        // redis-check-aof 7.0.15 on this file less its last 3 bytes printed:
        // 0x              a1: Expected to read 6 bytes, got 3 bytes
        // AOF analyzed: filename=..., size=164, ok_up_to=90, ok_up_to_line=39, diff=74
        let d = Dir::new("multi");
        let p = d.0.join("a.aof");
        let mut bytes = sample();
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&p, &bytes).unwrap();
        let (code, out) = check(&p, false);
        let name = p.display();
        assert_eq!(code, 1);
        assert_eq!(
            out,
            format!(
                "Start checking Old-Style AOF\n0x              a1: Expected to read 6 bytes, got 3 bytes\n\
                 AOF analyzed: filename={name}, size=164, ok_up_to=90, ok_up_to_line=39, diff=74\n\
                 AOF {name} is not valid. Use the --fix option to try fixing it.\n"
            )
        );
        let (code, out) = check(&p, true);
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(&format!("Successfully truncated AOF {name}")),
            "{out}"
        );
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 90);
        assert_eq!(check(&p, false).0, 0);
    }

    #[test]
    fn format_errors_report_as_redis_check_aof() {
        let d = Dir::new("fmt");
        let cases: &[(&[u8], &str)] = &[
            (
                b"*1\r\n$4\r\nPING\r\nxyz\r\n",
                "AOF {} format error\nAOF analyzed: filename={}, size=19, ok_up_to=14, ok_up_to_line=4, diff=5\n",
            ),
            (
                b"*1\r\n$4\r\nPING\r\n*1\r\nx4\r\nPING\r\n",
                "0x              12: Expected prefix '$', got: 'x'\nAOF analyzed: filename={}, size=28, ok_up_to=14, ok_up_to_line=5, diff=14\n",
            ),
            (
                b"*1\r\n$4\r\nPINGxx\r\n",
                "0x               8: Expected \\r\\n, got: 7878\nAOF analyzed: filename={}, size=16, ok_up_to=0, ok_up_to_line=3, diff=16\n",
            ),
            (
                b"#TS:123\r\n*1\r\n$4\r\nPING\r\n#TS:124\r\n*1\r\n",
                "AOF analyzed: filename={}, size=36, ok_up_to=32, ok_up_to_line=5, diff=4\n",
            ),
        ];
        for (i, (bytes, expected)) in cases.iter().enumerate() {
            let p = d.0.join(format!("{i}.aof"));
            std::fs::write(&p, bytes).unwrap();
            let (code, out) = check(&p, false);
            let name = p.display().to_string();
            assert_eq!(code, 1);
            let expected = expected.replacen("{}", &name, 2);
            assert_eq!(
                out,
                format!(
                    "Start checking Old-Style AOF\n{expected}AOF {name} is not valid. Use the --fix option to try fixing it.\n"
                )
            );
        }
        let p = d.0.join("empty.aof");
        std::fs::write(&p, b"").unwrap();
        assert_eq!(
            check(&p, false),
            (
                0,
                format!(
                    "Start checking Old-Style AOF\nAOF {} is empty\n",
                    p.display()
                )
            )
        );
    }

    #[test]
    fn multi_part_checks_manifest_base_and_incrs_and_fixes_only_the_last() {
        let d = Dir::new("multi-part");
        let m = "file a.1.base.aof seq 1 type b\nfile a.1.incr.aof seq 1 type i\n\
                 file a.2.incr.aof seq 2 type i\n";
        std::fs::write(d.0.join("a.manifest"), m).unwrap();
        std::fs::write(d.0.join("a.1.base.aof"), resp(&[b"SET", b"k", b"v"])).unwrap();
        std::fs::write(d.0.join("a.1.incr.aof"), resp(&[b"PING"])).unwrap();
        let incr2 = [resp(&[b"SET", b"x", b"1"]), b"*2\r\n$3".to_vec()].concat();
        std::fs::write(d.0.join("a.2.incr.aof"), &incr2).unwrap();
        let (code, out) = check(&d.0, false);
        assert_eq!(code, 1, "{out}");
        assert!(
            out.starts_with(
                "Start checking Multi Part AOF\nStart to check BASE AOF (RESP format).\n\
             AOF analyzed: filename=a.1.base.aof, size=27, ok_up_to=27, ok_up_to_line=8, diff=0\n\
             BASE AOF a.1.base.aof is valid\nStart to check INCR files.\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("filename=a.2.incr.aof, size=33, ok_up_to=27"),
            "{out}"
        );
        let (code, out) = check(&d.0.join("a.manifest"), true);
        assert_eq!(code, 0, "{out}");
        assert!(
            out.ends_with(
                "Successfully truncated AOF a.2.incr.aof\nAll AOF files and manifest are valid\n"
            ),
            "{out}"
        );
        // A bad tail in a file that is not the last one is not truncated.
        std::fs::write(d.0.join("a.1.incr.aof"), b"*1\r\n$4\r\nPI").unwrap();
        let (code, out) = check(&d.0, true);
        assert_eq!(code, 1);
        assert!(
            out.ends_with("Failed to truncate AOF a.1.incr.aof because it is not the last file\n"),
            "{out}"
        );
    }

    #[test]
    fn manifest_errors_and_missing_files_fail() {
        let d = Dir::new("bad-manifest");
        let p = d.0.join("a.manifest");
        std::fs::write(&p, "file a seq 2 type i\nfile b seq 2 type i\n").unwrap();
        let (code, out) = check(&p, false);
        assert_eq!(code, 1);
        assert_eq!(
            out,
            "Start checking Multi Part AOF\n\n*** FATAL AOF MANIFEST FILE ERROR ***\n\
             Reading the manifest file, at line 2\n>>> 'file b seq 2 type i'\n\
             Found a non-monotonic sequence number\n"
        );
        std::fs::write(&p, "file a.1.incr.aof seq 1 type i\n").unwrap();
        let (code, out) = check(&p, false);
        assert_eq!(code, 1);
        assert!(out.ends_with(&format!(
            "Start to check INCR files.\nCannot open file {}: No such file or directory, aborting...\n",
            d.0.join("a.1.incr.aof").display()
        )), "{out}");
    }

    #[test]
    fn arguments_follow_redis_check_aof() {
        let mut out = Vec::new();
        assert_eq!(run(&[], &mut out), 1);
        assert_eq!(run(&["--fix".into()], &mut out), 1);
        assert_eq!(run(&["a".into(), "b".into()], &mut out), 1);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{USAGE}\n{USAGE}\n{USAGE}\n")
        );
    }
}
