//! The manifest of Redis 7.0's multi-part AOF (`aof.c`: `aofLoadManifestFromFile`,
//! `getAofManifestAsString`, `aofInfoFormat`, `writeAofManifestFile`).
//!
//! The AOF lives in a directory (`appenddirname`, default `appendonlydir`) next to the RDB;
//! `<appendfilename>.manifest` (e.g. `appendonly.aof.manifest`) lists its files, one a line:
//! ```text
//! file appendonly.aof.2.base.rdb seq 2 type b
//! file appendonly.aof.1.incr.aof seq 1 type h
//! file appendonly.aof.2.incr.aof seq 2 type i
//! ```
//! * `b` BASE: the snapshot of the last rewrite, at most one (`.base.rdb` when it was written
//!   with `aof-use-rdb-preamble yes`, else `.base.aof`);
//! * `i` INCR: the commands since, in increasing `seq` order: loaded after the base;
//! * `h` HISTORY: files a rewrite replaced, waiting to be deleted; never loaded.
//!
//! Parsing follows Redis 7.0.15's rules: a line is split like `sdssplitargs` (blanks between
//! tokens; `"..."` with `\n \r \t \b \a \\ \" \xHH` escapes, `'...'` with `\'`), needs at least
//! six tokens in key/value pairs, keys `file`, `seq`, `type` match case-insensitively, unknown
//! keys are skipped (forward compatibility), `seq` is read as `atoll` reads it, `type` is the
//! first byte of its value. Lines starting with `#` are comments; every other line must end in
//! a newline within 1024 bytes. Rendering writes base, then history, then incr lines, quoting
//! a name as `sdscatrepr` does when it holds blanks, quotes, backslashes or unprintable bytes.
//!
//! Owns: the manifest text and its file on disk. Which files exist, rewrites, and loading the
//! files a manifest names belong to the AOF writer and loader.

use std::fmt;
use std::io::Write;
use std::path::Path;

/// Which part of the multi-part AOF a file is (the manifest's `type` letter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `b`: the base, the snapshot of the last rewrite.
    Base,
    /// `i`: commands appended since the base.
    Incr,
    /// `h`: replaced by a rewrite, kept until deleted.
    History,
}

impl FileKind {
    /// The manifest letter: `b`, `i` or `h` (`AOF_FILE_TYPE_BASE`, `_INCR`, `_HIST`).
    pub fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::Incr => 'i',
            FileKind::History => 'h',
        }
    }

    /// The kind for a manifest letter, `None` for an unknown one.
    pub fn from_letter(c: u8) -> Option<FileKind> {
        match c {
            b'b' => Some(FileKind::Base),
            b'i' => Some(FileKind::Incr),
            b'h' => Some(FileKind::History),
            _ => None,
        }
    }
}

/// One manifest line: a file name (no directory part), its sequence number and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofFile {
    /// The file's name inside the AOF directory.
    pub name: String,
    /// Sequence number (>= 1): base and incr files count separately.
    pub seq: u64,
    /// Base, incr or history.
    pub kind: FileKind,
}

/// A parsed manifest: the base (if any), the incr files in load order, the history files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base file, loaded first.
    pub base: Option<AofFile>,
    /// Incr files in manifest order (strictly increasing `seq`), loaded after the base.
    pub incrs: Vec<AofFile>,
    /// History files in manifest order, not loaded.
    pub history: Vec<AofFile>,
}

/// Why a manifest did not parse: Redis's message and, when the error is about one line, its
/// number (1-based, comments counted) and its text trimmed of blanks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    /// One of [`errors`]' strings, exactly as `aof.c` logs it.
    pub message: &'static str,
    /// Line number and trimmed text, when the error is about a line.
    pub line: Option<(usize, String)>,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for ManifestError {}

impl ManifestError {
    /// The block Redis logs before exiting (`aofLoadManifestFromFile`'s `loaderr`):
    /// `*** FATAL AOF MANIFEST FILE ERROR ***`, the line number and text when known, the
    /// message. Lines end in `\n`.
    pub fn report(&self) -> String {
        let mut s = String::from("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
        if let Some((n, text)) = &self.line {
            s.push_str(&format!(
                "Reading the manifest file, at line {n}\n>>> '{text}'\n"
            ));
        }
        s.push_str(self.message);
        s.push('\n');
        s
    }
}

/// The manifest errors of `aof.c` (Redis 7.0.15), exact strings.
pub mod errors {
    /// The file has no line at all.
    pub const EMPTY: &str = "Found an empty AOF manifest";
    /// A non-comment line without its newline within 1024 bytes (also a last line without
    /// a newline).
    pub const TOO_LONG: &str = "The AOF manifest file contains too long line";
    /// A blank line, fewer than six tokens, an odd count, unbalanced quotes, a missing or
    /// zero `file`/`seq`/`type`. shoal also gives it for a negative `seq` and for a name that
    /// is not UTF-8 once unquoted.
    pub const INVALID: &str = "Invalid AOF manifest file format";
    /// A `file` value with `/` or `\`.
    pub const PATH: &str = "File can't be a path, just a filename";
    /// A second `type b` line.
    pub const DUPLICATE_BASE: &str = "Found duplicate base file information";
    /// An incr `seq` not greater than the previous incr's.
    pub const NON_MONOTONIC: &str = "Found a non-monotonic sequence number";
    /// A `type` letter other than `b`, `i`, `h`.
    pub const UNKNOWN_TYPE: &str = "Unknown AOF file type";
}

/// `MANIFEST_MAX_LINE`: the `fgets` buffer is this plus one, so a line's text and newline must
/// fit in 1024 bytes.
const MANIFEST_MAX_LINE: usize = 1024;

impl Manifest {
    /// Parses manifest text, in the manner of `aofLoadManifestFromFile` (rules in the module
    /// doc). The error is Redis's message (one of [`errors`]); [`Manifest::parse_detailed`]
    /// also gives the line.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        Self::parse_detailed(text).map_err(|e| e.message.to_string())
    }

    /// [`Manifest::parse`] with the line number and text of the error.
    pub fn parse_detailed(text: &str) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::default();
        let mut max_incr_seq = 0u64;
        let mut linenum = 0usize;
        let bytes = text.as_bytes();
        let mut at = 0usize;
        let bare = |message| ManifestError {
            message,
            line: None,
        };
        while at < bytes.len() {
            // One fgets(buf, 1025): up to and including a newline, at most 1024 bytes.
            let window = &bytes[at..bytes.len().min(at + MANIFEST_MAX_LINE)];
            let chunk = match window.iter().position(|&b| b == b'\n') {
                Some(i) => &window[..=i],
                None => window,
            };
            at += chunk.len();
            linenum += 1;
            if chunk[0] == b'#' {
                continue;
            }
            if !chunk.contains(&b'\n') {
                return Err(bare(errors::TOO_LONG));
            }
            let line = trim(chunk);
            let at_line = |message: &'static str| ManifestError {
                message,
                line: Some((linenum, String::from_utf8_lossy(line).into_owned())),
            };
            if line.is_empty() {
                return Err(at_line(errors::INVALID));
            }
            let argv = split_args(line).ok_or_else(|| at_line(errors::INVALID))?;
            if argv.len() < 6 || argv.len() % 2 != 0 {
                return Err(at_line(errors::INVALID));
            }
            let (mut name, mut seq, mut kind) = (None, 0i64, 0u8);
            for pair in argv.chunks(2) {
                let (key, value) = (&pair[0], &pair[1]);
                if key.eq_ignore_ascii_case(b"file") {
                    if value.contains(&b'/') || value.contains(&b'\\') {
                        return Err(at_line(errors::PATH));
                    }
                    name = Some(value.clone());
                } else if key.eq_ignore_ascii_case(b"seq") {
                    seq = atoll(value);
                } else if key.eq_ignore_ascii_case(b"type") {
                    kind = value.first().copied().unwrap_or(0);
                }
            }
            let (Some(name), true, true) = (name, seq != 0, kind != 0) else {
                return Err(at_line(errors::INVALID));
            };
            // Redis keeps seq in a long long; a negative one is accepted there but names no
            // file Redis writes, and shoal's seq is unsigned.
            let seq = u64::try_from(seq).map_err(|_| at_line(errors::INVALID))?;
            let name = String::from_utf8(name).map_err(|_| at_line(errors::INVALID))?;
            let Some(kind) = FileKind::from_letter(kind) else {
                return Err(at_line(errors::UNKNOWN_TYPE));
            };
            let file = AofFile { name, seq, kind };
            match kind {
                FileKind::Base => {
                    if m.base.is_some() {
                        return Err(at_line(errors::DUPLICATE_BASE));
                    }
                    m.base = Some(file);
                }
                FileKind::History => m.history.push(file),
                FileKind::Incr => {
                    if seq <= max_incr_seq {
                        return Err(at_line(errors::NON_MONOTONIC));
                    }
                    max_incr_seq = seq;
                    m.incrs.push(file);
                }
            }
        }
        if linenum == 0 {
            return Err(bare(errors::EMPTY));
        }
        Ok(m)
    }

    /// The manifest text as `getAofManifestAsString` writes it: the base line, the history
    /// lines, the incr lines, each `file <name> seq <n> type <letter>\n`.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let all = self
            .base
            .iter()
            .chain(self.history.iter())
            .chain(self.incrs.iter());
        for f in all {
            s.push_str("file ");
            if needs_repr(f.name.as_bytes()) {
                crate::server::repr(&mut s, f.name.as_bytes());
            } else {
                s.push_str(&f.name);
            }
            s.push_str(&format!(" seq {} type {}\n", f.seq, f.kind.letter()));
        }
        s
    }

    /// Reads and parses `dir/manifest_name`. `Ok(None)` when the file does not exist (Redis
    /// then starts without a multi-part AOF, or upgrades an old single file). A parse error,
    /// or text that is not UTF-8 ([`errors::INVALID`]), is an `InvalidData` error whose inner
    /// error is the [`ManifestError`] (`get_ref()` and downcast for the line and the report).
    pub fn load(dir: &Path, manifest_name: &str) -> std::io::Result<Option<Manifest>> {
        let bytes = match std::fs::read(dir.join(manifest_name)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let text = String::from_utf8(bytes).map_err(|_| {
            let e = ManifestError {
                message: errors::INVALID,
                line: None,
            };
            std::io::Error::new(std::io::ErrorKind::InvalidData, e)
        })?;
        Manifest::parse_detailed(&text)
            .map(Some)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// Writes the manifest to `dir/manifest_name` as `writeAofManifestFile` does: the text goes
    /// to `dir/temp-<manifest_name>`, which is fsynced and renamed over the manifest, then the
    /// directory is fsynced. A crash leaves the old manifest or the new one, never a torn one.
    pub fn store(&self, dir: &Path, manifest_name: &str) -> std::io::Result<()> {
        let tmp = dir.join(format!("{TEMP_FILE_NAME_PREFIX}{manifest_name}"));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(self.render().as_bytes())?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, dir.join(manifest_name))?;
            std::fs::File::open(dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// A base file's name: `<prefix>.<seq>.base.rdb` with an RDB preamble, else
    /// `<prefix>.<seq>.base.aof` (`getNewBaseFileNameAndMarkPreAsHistory`).
    pub fn base_name(prefix: &str, seq: u64, rdb_preamble: bool) -> String {
        let format = if rdb_preamble { ".rdb" } else { ".aof" };
        format!("{prefix}.{seq}.base{format}")
    }

    /// An incr file's name: `<prefix>.<seq>.incr.aof` (`getNewIncrAofName`).
    pub fn incr_name(prefix: &str, seq: u64) -> String {
        format!("{prefix}.{seq}.incr.aof")
    }

    /// The manifest's name: `<prefix>.manifest` (`getAofManifestFileName`).
    pub fn manifest_name(prefix: &str) -> String {
        format!("{prefix}.manifest")
    }

    /// The files to load, in load order: the base, then the incr files.
    pub fn files(&self) -> impl Iterator<Item = &AofFile> {
        self.base.iter().chain(self.incrs.iter())
    }

    /// The base's seq, 0 without a base (`curr_base_file_seq` after loading).
    pub fn base_seq(&self) -> u64 {
        self.base.as_ref().map_or(0, |f| f.seq)
    }

    /// The last incr's seq, 0 without incr files (`curr_incr_file_seq` after loading).
    pub fn last_incr_seq(&self) -> u64 {
        self.incrs.last().map_or(0, |f| f.seq)
    }
}

/// `TEMP_FILE_NAME_PREFIX` of `aof.c`: the temporary manifest is `temp-<manifest name>`.
pub const TEMP_FILE_NAME_PREFIX: &str = "temp-";

use crate::protocol::parse::is_space;

/// `sdstrim(line, " \t\r\n")`.
fn trim(mut s: &[u8]) -> &[u8] {
    let cut = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    while s.first().is_some_and(cut) {
        s = &s[1..];
    }
    while s.last().is_some_and(cut) {
        s = &s[..s.len() - 1];
    }
    s
}

/// `atoll`: leading blanks, an optional sign, digits up to the first non-digit; 0 when there
/// are none. Saturates instead of overflowing.
fn atoll(s: &[u8]) -> i64 {
    let blanks = s.iter().take_while(|&&b| is_space(b)).count();
    super::reader::strtol(s, blanks).0
}

/// Splits a line as `sdssplitargs` does (the inline-command splitter); `None` for unbalanced
/// quotes or a closing quote followed by something other than a blank.
fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (mut out, mut ranges) = (Vec::new(), Vec::new());
    crate::protocol::parse::split_args(line, &mut out, &mut ranges)?;
    Some(ranges.into_iter().map(|r| out[r].to_vec()).collect())
}

/// `sdsneedsrepr`: the name must be quoted to survive `sdssplitargs`.
fn needs_repr(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| matches!(b, b'\\' | b'"') || !(0x20..=0x7e).contains(&b) || is_space(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, seq: u64, kind: FileKind) -> AofFile {
        AofFile {
            name: name.into(),
            seq,
            kind,
        }
    }

    fn err(text: &str) -> String {
        Manifest::parse(text).unwrap_err()
    }

    #[test]
    fn parses_what_redis_writes() {
        let text = "file appendonly.aof.2.base.rdb seq 2 type b\n\
                    file appendonly.aof.1.incr.aof seq 1 type h\n\
                    file appendonly.aof.2.incr.aof seq 2 type i\n\
                    file appendonly.aof.3.incr.aof seq 3 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(
            m.base,
            Some(file("appendonly.aof.2.base.rdb", 2, FileKind::Base))
        );
        assert_eq!(
            m.history,
            vec![file("appendonly.aof.1.incr.aof", 1, FileKind::History)]
        );
        assert_eq!(m.incrs.len(), 2);
        assert_eq!(m.render(), text);
        let names: Vec<_> = m.files().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "appendonly.aof.2.base.rdb",
                "appendonly.aof.2.incr.aof",
                "appendonly.aof.3.incr.aof"
            ]
        );
        assert_eq!((m.base_seq(), m.last_incr_seq()), (2, 3));
    }

    #[test]
    fn render_orders_base_history_incr_and_round_trips() {
        let m = Manifest {
            base: Some(file("a.5.base.aof", 5, FileKind::Base)),
            incrs: vec![file("a.7.incr.aof", 7, FileKind::Incr)],
            history: vec![
                file("a.4.base.rdb", 4, FileKind::History),
                file("a.6.incr.aof", 6, FileKind::History),
            ],
        };
        let text = m.render();
        assert_eq!(
            text,
            "file a.5.base.aof seq 5 type b\nfile a.4.base.rdb seq 4 type h\n\
             file a.6.incr.aof seq 6 type h\nfile a.7.incr.aof seq 7 type i\n"
        );
        assert_eq!(Manifest::parse(&text).unwrap(), m);
    }

    #[test]
    fn names_with_blanks_quotes_and_bytes_are_quoted_and_round_trip() {
        for name in ["a b.aof", "q\"uote", "tab\there", "é.aof", "new\nline"] {
            let m = Manifest {
                incrs: vec![file(name, 1, FileKind::Incr)],
                ..Manifest::default()
            };
            let text = m.render();
            assert!(text.starts_with("file \""), "{text}");
            assert_eq!(Manifest::parse(&text).unwrap(), m, "{text}");
        }
        let m = Manifest {
            incrs: vec![file("a b.aof", 1, FileKind::Incr)],
            ..Manifest::default()
        };
        assert_eq!(m.render(), "file \"a b.aof\" seq 1 type i\n");
        assert_eq!(
            Manifest::parse("file 'it\\'s' seq 1 type i\n")
                .unwrap()
                .incrs[0]
                .name,
            "it's"
        );
    }

    #[test]
    fn comments_unknown_keys_case_and_blanks_are_accepted() {
        let text = "# a comment\n  FILE x.aof   SEQ 3 Type i  future 1\t\r\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.incrs, vec![file("x.aof", 3, FileKind::Incr)]);
        // atoll: digits up to the first non-digit; the type is its first letter.
        let m = Manifest::parse("file x seq 12abc type incr\n").unwrap();
        assert_eq!(m.incrs, vec![file("x", 12, FileKind::Incr)]);
        // Only comments: not empty, no files.
        assert_eq!(Manifest::parse("# nothing\n").unwrap(), Manifest::default());
    }

    #[test]
    fn every_parse_error_has_redis_message() {
        assert_eq!(err(""), errors::EMPTY);
        assert_eq!(err("file x seq 1 type i"), errors::TOO_LONG);
        assert_eq!(
            err(&format!("file {} seq 1 type i\n", "x".repeat(1100))),
            errors::TOO_LONG
        );
        assert_eq!(err("file x seq 1 type i\n\n"), errors::INVALID);
        assert_eq!(err("file x seq 1\n"), errors::INVALID);
        assert_eq!(err("file x seq 1 type i extra\n"), errors::INVALID);
        assert_eq!(err("file \"x seq 1 type i\n"), errors::INVALID);
        assert_eq!(err("file \"x\"y seq 1 type i\n"), errors::INVALID);
        assert_eq!(err("file x seq 0 type i\n"), errors::INVALID);
        assert_eq!(err("file x seq abc type i\n"), errors::INVALID);
        assert_eq!(err("file x seq -1 type b\n"), errors::INVALID);
        assert_eq!(err("name x seq 1 type i kind z\n"), errors::INVALID);
        assert_eq!(err("file x seq 1 type \"\"\n"), errors::INVALID);
        assert_eq!(err("file dir/x seq 1 type i\n"), errors::PATH);
        assert_eq!(err("file dir\\\\x seq 1 type i\n"), errors::PATH);
        assert_eq!(
            err("file a seq 1 type b\nfile b seq 2 type b\n"),
            errors::DUPLICATE_BASE
        );
        assert_eq!(
            err("file a seq 2 type i\nfile b seq 2 type i\n"),
            errors::NON_MONOTONIC
        );
        assert_eq!(
            err("file a seq 3 type i\nfile b seq 1 type i\n"),
            errors::NON_MONOTONIC
        );
        assert_eq!(err("file a seq 1 type x\n"), errors::UNKNOWN_TYPE);
    }

    #[test]
    fn errors_name_their_line_as_redis_logs_it() {
        let e = Manifest::parse_detailed("# c\nfile a seq 1 type i\n  file b seq 1 type i \n")
            .unwrap_err();
        assert_eq!(e.line, Some((3, "file b seq 1 type i".into())));
        assert_eq!(
            e.report(),
            "\n*** FATAL AOF MANIFEST FILE ERROR ***\nReading the manifest file, at line 3\n\
             >>> 'file b seq 1 type i'\nFound a non-monotonic sequence number\n"
        );
        let e = Manifest::parse_detailed("file a seq 1 type i").unwrap_err();
        assert_eq!(e.line, None);
    }

    #[test]
    fn names_follow_aof_c() {
        assert_eq!(
            Manifest::base_name("appendonly.aof", 3, true),
            "appendonly.aof.3.base.rdb"
        );
        assert_eq!(
            Manifest::base_name("appendonly.aof", 3, false),
            "appendonly.aof.3.base.aof"
        );
        assert_eq!(
            Manifest::incr_name("appendonly.aof", 3),
            "appendonly.aof.3.incr.aof"
        );
        assert_eq!(
            Manifest::manifest_name("appendonly.aof"),
            "appendonly.aof.manifest"
        );
    }

    #[test]
    fn store_replaces_whole_and_load_reads_back() {
        let dir = std::env::temp_dir().join(format!("shoal-manifest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let name = Manifest::manifest_name("appendonly.aof");
        assert!(Manifest::load(&dir, &name).unwrap().is_none());
        let mut m = Manifest {
            base: Some(file("appendonly.aof.1.base.rdb", 1, FileKind::Base)),
            incrs: vec![file("appendonly.aof.1.incr.aof", 1, FileKind::Incr)],
            history: vec![],
        };
        m.store(&dir, &name).unwrap();
        assert_eq!(Manifest::load(&dir, &name).unwrap(), Some(m.clone()));
        m.incrs
            .push(file("appendonly.aof.2.incr.aof", 2, FileKind::Incr));
        m.store(&dir, &name).unwrap();
        assert_eq!(Manifest::load(&dir, &name).unwrap(), Some(m));
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 1, "the temp file is renamed away");
        std::fs::write(dir.join(&name), "file x seq 1 type z\n").unwrap();
        let e = Manifest::load(&dir, &name).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(e.to_string(), errors::UNKNOWN_TYPE);
        let inner = e.get_ref().and_then(|i| i.downcast_ref::<ManifestError>());
        assert_eq!(inner.unwrap().line, Some((1, "file x seq 1 type z".into())));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
