//! [`AofReader`]: the commands of one AOF file (a base or an incr file of the multi-part AOF,
//! or an old single `appendonly.aof`), as `loadSingleAppendOnlyFile` (`aof.c`) and
//! `checkSingleAof` (`redis-check-aof.c`) read them.
//!
//! A file is an optional RDB preamble, then commands in RESP, each optionally preceded by
//! annotation lines (Redis 7.0 writes `#TS:<unix seconds>\r\n` with `aof-timestamp-enabled`):
//! ```text
//! [REDIS0010 ... EOF crc64]            RDB preamble (base files written with an RDB preamble)
//! #TS:1700000000\r\n                   skipped
//! *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n
//! ```
//! The reader tells three endings apart, as Redis does:
//! * a clean end: the file ends where an item (command or annotation) would start;
//! * a truncated tail ([`AofError::Truncated`]): the file ends inside an item. Redis logs
//!   `Unexpected end of file reading the append only file %s. You can: 1) Make a backup of
//!   your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you
//!   can set the 'aof-load-truncated' configuration option to yes and restart the server.`;
//!   with `aof-load-truncated yes` it logs `!!! Warning: short read while loading the AOF file
//!   %s!!!` and `!!! Truncating the AOF %s at offset %llu !!!`, truncates the file to the last
//!   good item ([`AofReader::valid_up_to`]) and goes on (`AOF %s loaded anyway because
//!   aof-load-truncated is enabled`);
//! * corrupt content ([`AofError::Format`], [`AofError::NotCommand`]): Redis logs `Bad file
//!   format reading the append only file %s: make a backup of your AOF file, then use
//!   ./redis-check-aof --fix <filename.manifest>` and refuses to start.
//!
//! Header lines are checked as redis-check-aof checks them (a prefix, a decimal number, then
//! exactly `\r\n`, within 128 bytes) and so is the `\r\n` after each argument; the details of
//! an error are redis-check-aof's texts (`Expected prefix '$', got: 'x'`, `Expected \r\n, got:
//! 0d0a`, `Expected to read 6 bytes, got 3 bytes`). Two rules are the loader's, stricter than
//! redis-check-aof: a command has at least one argument (`*0` is a format error), and a header
//! whose prefix is wrong is a format error even when the file ends inside it.
//!
//! MULTI/EXEC is left to the caller: Redis's loader treats a file ending inside a transaction
//! as truncated (`Revert incomplete MULTI/EXEC transaction in AOF file %s`) at the offset before
//! MULTI; take [`AofReader::valid_up_to`] before reading a MULTI for that.
//!
//! Every allocation is bounded by the bytes actually read: a length larger than what remains
//! is a truncation, found by reading, never allocated up front.

use crate::persistence::rdb::reader::{Checksum, RdbEvent, RdbReader};
use crate::persistence::rdb::RdbError;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Chain, Cursor, Read};
use std::path::Path;

/// Why reading commands stopped short of a clean end. `at` is the byte offset the problem was
/// found at (redis-check-aof's `epos`: the start of a header line, or of an argument's bytes).
#[derive(Debug, thiserror::Error)]
pub enum AofError {
    /// The file ends inside an item: a partial header line, argument, or annotation, or a
    /// command with fewer arguments than announced. Fixable by truncating the file to
    /// [`AofReader::valid_up_to`]. `detail` is redis-check-aof's text, empty when the file
    /// ends exactly where a header line should start (redis-check-aof prints none then).
    #[error("Unexpected end of file reading the append only file")]
    Truncated { at: u64, detail: String },
    /// A header line or argument that is not what RESP requires here (wrong prefix, a number
    /// not followed by `\r\n`, a negative or zero count, a header longer than 127 bytes, an
    /// argument not followed by `\r\n`). `detail` is redis-check-aof's text.
    #[error("Bad file format reading the append only file")]
    Format { at: u64, detail: String },
    /// An item starting with `byte`, neither `*` nor `#` (redis-check-aof: `AOF %s format
    /// error`).
    #[error("Bad file format reading the append only file")]
    NotCommand { at: u64, byte: u8 },
    /// Reading failed (`Unrecoverable error reading the append only file %s: %s`).
    #[error("Unrecoverable error reading the append only file: {0}")]
    Io(#[from] io::Error),
}

impl AofError {
    /// Whether this is the truncated-tail case that `aof-load-truncated yes` repairs.
    pub fn is_truncated(&self) -> bool {
        matches!(self, AofError::Truncated { .. })
    }

    /// The offset the problem was found at (0 for I/O errors).
    pub fn at(&self) -> u64 {
        match self {
            AofError::Truncated { at, .. }
            | AofError::Format { at, .. }
            | AofError::NotCommand { at, .. } => *at,
            AofError::Io(_) => 0,
        }
    }
}

/// The five bytes that start an RDB file, and so an RDB preamble.
pub const RDB_MAGIC: &[u8; 5] = b"REDIS";

/// redis-check-aof reads header lines with `fgets(buf, 128)`: a longer one is malformed.
const HEADER_MAX: usize = 127;

/// Preallocation cap for argument buffers and argument vectors; beyond it they grow with the
/// bytes read.
const PREALLOC_CAP: usize = 1 << 16;

/// Reads the items of one AOF file in order. See the module doc for the format and endings.
///
/// Use: [`AofReader::open`]; if [`AofReader::has_rdb_preamble`], read the RDB part through
/// [`AofReader::rdb_preamble`] to its [`RdbEvent::Eof`] (or [`AofReader::skip_rdb_preamble`]);
/// then [`AofReader::read_command`] until it returns `Ok(false)`. After an error the reader
/// must not be used further (its position is inside the bad item).
pub struct AofReader<R: Read = File> {
    inner: BufReader<Chain<Cursor<Vec<u8>>, R>>,
    preamble: bool,
    offset: u64,
    valid: u64,
    lines: u64,
    command_at: u64,
    read_at: u64,
    line: Vec<u8>,
}

impl AofReader<File> {
    /// Opens the file at `path` and looks at its first five bytes for an RDB preamble.
    pub fn open(path: impl AsRef<Path>) -> io::Result<AofReader<File>> {
        AofReader::new(File::open(path)?)
    }
}

/// The outcome of reading one header line.
enum Line {
    /// A line ending in `\n` (kept in the buffer with it).
    Complete,
    /// The input ended before a newline (the partial line is in the buffer, maybe empty).
    Eof,
    /// No newline within the limit.
    TooLong,
}

impl<R: Read> AofReader<R> {
    /// Reads from `r` (unbuffered is fine: the reader buffers), starting at offset 0. Reads up
    /// to five bytes to see whether the input starts with `REDIS`, as the loader does
    /// (`fread(sig,1,5,fp)`), and keeps them for what follows.
    pub fn new(mut r: R) -> io::Result<AofReader<R>> {
        let mut head = Vec::with_capacity(RDB_MAGIC.len());
        (&mut r)
            .take(RDB_MAGIC.len() as u64)
            .read_to_end(&mut head)?;
        let preamble = head == RDB_MAGIC;
        Ok(AofReader {
            inner: BufReader::with_capacity(64 * 1024, Cursor::new(head).chain(r)),
            preamble,
            offset: 0,
            valid: 0,
            lines: 0,
            command_at: 0,
            read_at: 0,
            line: Vec::new(),
        })
    }

    /// Whether the file starts with an RDB preamble (`REDIS`): a base written with
    /// `aof-use-rdb-preamble yes`, or an old single AOF rewritten with it.
    pub fn has_rdb_preamble(&self) -> bool {
        self.preamble
    }

    /// Bytes consumed so far (including an RDB preamble read through this reader).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The offset just after the last complete item: a command, an annotation line, or the
    /// RDB preamble once a command read followed it. This is where `aof-load-truncated` and
    /// `--fix` cut a truncated file (redis-check-aof's `ok_up_to`; Redis's loader cuts after
    /// the last command, before any annotation that follows it).
    pub fn valid_up_to(&self) -> u64 {
        self.valid
    }

    /// RESP line terminators consumed so far: one per header line, one per argument (partial
    /// commands included, annotations not). redis-check-aof prints `ok_up_to_line` as 1 plus
    /// this count summed over the files it checked.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// The offset of the `*` of the last command read: Redis's loader keeps the good offset
    /// before a MULTI (`valid_before_multi`) to cut an unfinished transaction.
    pub fn last_command_at(&self) -> u64 {
        self.command_at
    }

    /// The offset of the last header line or argument bytes the reader started on
    /// (redis-check-aof's `epos`, printed before its error texts).
    pub fn last_read_at(&self) -> u64 {
        self.read_at
    }

    /// The raw bytes from the current position, for an RDB reader: what it reads is counted in
    /// [`AofReader::offset`]. Read exactly the RDB part and no more ([`RdbReader`] does).
    pub fn rdb_input(&mut self) -> PreambleInput<'_, R> {
        PreambleInput { aof: self }
    }

    /// An [`RdbReader`] over the RDB preamble (its header already read). Read it to
    /// [`RdbEvent::Eof`], then go on with [`AofReader::read_command`]: Redis allows commands
    /// after the RDB's EOF and checksum.
    pub fn rdb_preamble(&mut self) -> Result<RdbReader<PreambleInput<'_, R>>, RdbError> {
        RdbReader::new(self.rdb_input())
    }

    /// Reads the RDB preamble to its end, discarding its contents; returns what its checksum
    /// said. A preamble that ends early is [`RdbError::Truncated`].
    pub fn skip_rdb_preamble(&mut self) -> Result<Checksum, RdbError> {
        let mut rdb = self.rdb_preamble()?;
        loop {
            match rdb.next_event()? {
                Some(RdbEvent::Eof { checksum }) => return Ok(checksum),
                Some(_) => {}
                None => return Err(RdbError::Truncated),
            }
        }
    }

    /// Reads the next command into `argv` (one `Vec<u8>` per argument; the vectors already in
    /// `argv` are reused). `Ok(true)`: a command was read; `Ok(false)`: clean end of file.
    /// Annotation lines before the command are skipped.
    pub fn read_command(&mut self, argv: &mut Vec<Vec<u8>>) -> Result<bool, AofError> {
        if self.preamble && self.valid == 0 {
            // The preamble was read: it is the good prefix until a command follows.
            self.valid = self.offset;
        }
        loop {
            let at = self.offset;
            let first = match self.inner.fill_buf()?.first() {
                None => return Ok(false),
                Some(&b) => b,
            };
            match first {
                b'#' => {
                    self.skip_annotation(at)?;
                    self.valid = self.offset;
                }
                b'*' => {
                    self.command_at = at;
                    break;
                }
                byte => return Err(AofError::NotCommand { at, byte }),
            }
        }
        let argc = self.header(b'*')?;
        if argc < 1 {
            return Err(AofError::Format {
                at: self.read_at,
                detail: format!("Expected a command of at least one argument, got: {argc}"),
            });
        }
        let argc = usize::try_from(argc).map_err(|_| AofError::Format {
            at: self.read_at,
            detail: format!("Expected a command of at most {} arguments", usize::MAX),
        })?;
        argv.truncate(argc);
        argv.reserve(argc.min(PREALLOC_CAP).saturating_sub(argv.len()));
        for j in 0..argc {
            if j == argv.len() {
                argv.push(Vec::new());
            }
            self.bulk(&mut argv[j])?;
        }
        self.valid = self.offset;
        Ok(true)
    }

    /// [`AofReader::read_command`] into a fresh vector: `Ok(None)` at a clean end.
    pub fn next_command(&mut self) -> Result<Option<Vec<Vec<u8>>>, AofError> {
        let mut argv = Vec::new();
        Ok(self.read_command(&mut argv)?.then_some(argv))
    }

    /// Skips one annotation line (`#...\n`); the file ending inside it is a truncation.
    fn skip_annotation(&mut self, at: u64) -> Result<(), AofError> {
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Err(AofError::Truncated {
                    at,
                    detail: String::new(),
                });
            }
            let (n, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            self.inner.consume(n);
            self.offset += n as u64;
            if done {
                return Ok(());
            }
        }
    }

    /// Reads one line of at most [`HEADER_MAX`] bytes into `self.line`.
    fn read_line(&mut self) -> io::Result<Line> {
        self.line.clear();
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(Line::Eof);
            }
            let room = HEADER_MAX - self.line.len();
            let window = &buf[..buf.len().min(room)];
            let (n, done) = match window.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (window.len(), false),
            };
            self.line.extend_from_slice(&window[..n]);
            self.inner.consume(n);
            self.offset += n as u64;
            if done {
                return Ok(Line::Complete);
            }
            if self.line.len() >= HEADER_MAX {
                return Ok(Line::TooLong);
            }
        }
    }

    /// Reads a header line `<prefix><number>\r\n` (`readLong`) and returns the number.
    fn header(&mut self, prefix: u8) -> Result<i64, AofError> {
        let at = self.offset;
        self.read_at = at;
        let state = self.read_line()?;
        let line = &self.line;
        let Some(&first) = line.first() else {
            return Err(AofError::Truncated {
                at,
                detail: String::new(),
            });
        };
        if first != prefix {
            return Err(AofError::Format {
                at,
                detail: format!(
                    "Expected prefix '{}', got: '{}'",
                    prefix as char,
                    first.escape_ascii()
                ),
            });
        }
        let (value, end) = strtol(line, 1);
        let newline = (line.get(end).copied(), line.get(end + 1).copied());
        if newline == (Some(b'\r'), Some(b'\n')) {
            self.lines += 1;
            return Ok(value);
        }
        let detail = format!(
            "Expected \\r\\n, got: {:02x}{:02x}",
            newline.0.unwrap_or(0),
            newline.1.unwrap_or(0)
        );
        Err(match state {
            Line::Eof => AofError::Truncated { at, detail },
            Line::Complete | Line::TooLong => AofError::Format { at, detail },
        })
    }

    /// Reads one argument, `$<len>\r\n<bytes>\r\n` (`readString`), into `out`.
    fn bulk(&mut self, out: &mut Vec<u8>) -> Result<(), AofError> {
        let len = self.header(b'$')?;
        let at = self.offset;
        self.read_at = at;
        let want = match u64::try_from(len) {
            Ok(n) if n <= i64::MAX as u64 - 2 => n + 2,
            _ => {
                return Err(AofError::Format {
                    at,
                    detail: format!(
                        "Expected to read string of {len} bytes, which is not in the suitable range"
                    ),
                })
            }
        };
        out.clear();
        out.reserve((want as usize).min(PREALLOC_CAP));
        let got = (&mut self.inner).take(want).read_to_end(out)? as u64;
        self.offset += got;
        if got != want {
            return Err(AofError::Truncated {
                at,
                detail: format!("Expected to read {want} bytes, got {got} bytes"),
            });
        }
        let n = out.len();
        if out[n - 2..] != *b"\r\n" {
            return Err(AofError::Format {
                at,
                detail: format!("Expected \\r\\n, got: {:02x}{:02x}", out[n - 2], out[n - 1]),
            });
        }
        out.truncate(n - 2);
        self.lines += 1;
        Ok(())
    }
}

/// C's `strtol(s + from, &end, 10)` on a line: an optional sign and decimal digits, saturating
/// at the `i64` bounds; returns the value and the index after the digits (`from` when there
/// are none).
pub(crate) fn strtol(s: &[u8], from: usize) -> (i64, usize) {
    let mut i = from;
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = i;
    let mut v: i64 = 0;
    while let Some(d) = s.get(i).filter(|b| b.is_ascii_digit()) {
        let d = (d - b'0') as i64;
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
        i += 1;
    }
    if i == digits {
        (0, from)
    } else {
        (v, i)
    }
}

/// The bytes of an AOF file from its current position, counted into the reader's offset
/// (see [`AofReader::rdb_input`]).
pub struct PreambleInput<'a, R: Read> {
    aof: &'a mut AofReader<R>,
}

impl<R: Read> Read for PreambleInput<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.aof.inner.read(buf)?;
        self.aof.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(args: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        crate::keyspace::feed::encode(&mut v, args);
        v
    }

    fn reader(bytes: &[u8]) -> AofReader<&[u8]> {
        AofReader::new(bytes).unwrap()
    }

    /// Reads every command; returns them and the error that ended reading, if any.
    fn read_all(bytes: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<AofError>, u64) {
        let mut r = reader(bytes);
        let mut out = Vec::new();
        loop {
            match r.next_command() {
                Ok(Some(c)) => out.push(c),
                Ok(None) => return (out, None, r.valid_up_to()),
                Err(e) => return (out, Some(e), r.valid_up_to()),
            }
        }
    }

    #[test]
    fn reads_commands_and_offsets_of_a_good_file() {
        let a = resp(&[b"SELECT", b"0"]);
        let b = resp(&[b"SET", b"k", b"a\r\nbinary\0value"]);
        let file = [a.clone(), b.clone()].concat();
        let mut r = reader(&file);
        assert!(!r.has_rdb_preamble());
        let mut argv = Vec::new();
        assert!(r.read_command(&mut argv).unwrap());
        assert_eq!(argv, vec![b"SELECT".to_vec(), b"0".to_vec()]);
        assert_eq!(r.valid_up_to(), a.len() as u64);
        assert!(r.read_command(&mut argv).unwrap());
        assert_eq!(argv[2], b"a\r\nbinary\0value");
        assert_eq!(argv.len(), 3);
        assert_eq!(r.valid_up_to(), file.len() as u64);
        assert!(!r.read_command(&mut argv).unwrap());
        assert_eq!(r.offset(), file.len() as u64);
        assert_eq!(r.lines(), 5 + 7);
        // An empty file is a clean end at once.
        assert!(reader(b"").next_command().unwrap().is_none());
    }

    #[test]
    fn annotations_are_skipped_and_count_as_good_items() {
        let cmd = resp(&[b"PING"]);
        let file = [
            b"#TS:1700000000\r\n".to_vec(),
            cmd.clone(),
            b"#TS:1\r\n".to_vec(),
        ]
        .concat();
        let (cmds, err, valid) = read_all(&file);
        assert!(err.is_none());
        assert_eq!(cmds, vec![vec![b"PING".to_vec()]]);
        assert_eq!(valid, file.len() as u64);
        // An annotation cut before its newline is a truncation at its start.
        let cut = [cmd.clone(), b"#TS:17".to_vec()].concat();
        let (cmds, err, valid) = read_all(&cut);
        assert_eq!(cmds.len(), 1);
        assert!(matches!(err, Some(AofError::Truncated { at, .. }) if at == cmd.len() as u64));
        assert_eq!(valid, cmd.len() as u64);
    }

    #[test]
    fn every_cut_of_a_command_is_a_truncation_at_the_last_good_one() {
        let first = resp(&[b"SET", b"key", b"value"]);
        let second = resp(&[b"RPUSH", b"list", b"x", b"yz"]);
        let file = [first.clone(), second.clone()].concat();
        for cut in first.len() + 1..file.len() {
            let (cmds, err, valid) = read_all(&file[..cut]);
            assert_eq!(cmds.len(), 1, "cut at {cut}");
            let err = err.unwrap_or_else(|| panic!("cut at {cut}: no error"));
            assert!(err.is_truncated(), "cut at {cut}: {err:?}");
            assert_eq!(valid, first.len() as u64, "cut at {cut}");
        }
    }

    #[test]
    fn truncation_details_are_redis_check_aofs() {
        // Cut inside an argument: epos is the argument's start.
        let (_, err, _) = read_all(b"*1\r\n$4\r\nPI");
        let Some(AofError::Truncated { at, detail }) = err else {
            panic!("{err:?}")
        };
        assert_eq!(
            (at, detail.as_str()),
            (8, "Expected to read 6 bytes, got 2 bytes")
        );
        // Cut where a header line starts: no detail.
        let (_, err, _) = read_all(b"*1\r\n");
        let Some(AofError::Truncated { at, detail }) = err else {
            panic!("{err:?}")
        };
        assert_eq!((at, detail.as_str()), (4, ""));
    }

    #[test]
    fn a_huge_length_is_a_truncation_not_an_allocation() {
        let (_, err, _) = read_all(b"*1\r\n$9223372036854775805\r\nabc");
        assert!(matches!(err, Some(AofError::Truncated { .. })), "{err:?}");
        let mut argv = Vec::new();
        let mut r = reader(b"*2000000000\r\n$1\r\na\r\n");
        assert!(r.read_command(&mut argv).unwrap_err().is_truncated());
        assert!(argv.capacity() <= PREALLOC_CAP);
    }

    #[test]
    fn corrupt_content_is_a_format_error() {
        let good = resp(&[b"PING"]);
        let cases: &[(&[u8], &str)] = &[
            (b"*1\r\nx4\r\nPING\r\n", "Expected prefix '$', got: 'x'"),
            (b"*1\r\n$4\r\nPINGxx\r\n", "Expected \\r\\n, got: 7878"),
            (b"*1x\r\n$4\r\nPING\r\n", "Expected \\r\\n, got: 780d"),
            (b"*1\n$4\r\nPING\r\n", "Expected \\r\\n, got: 0a00"),
            (
                b"*1\r\n$-1\r\n",
                "Expected to read string of -1 bytes, which is not in the suitable range",
            ),
            (
                b"*0\r\n",
                "Expected a command of at least one argument, got: 0",
            ),
            (b"*1\r\nx", "Expected prefix '$', got: 'x'"),
        ];
        for (tail, detail) in cases {
            let file = [good.clone(), tail.to_vec()].concat();
            let (cmds, err, valid) = read_all(&file);
            assert_eq!(cmds.len(), 1);
            assert_eq!(valid, good.len() as u64);
            match err {
                Some(AofError::Format { detail: d, .. }) => assert_eq!(d, *detail),
                e => panic!("{:?}: {e:?}", String::from_utf8_lossy(tail)),
            }
        }
        let long = [b"*".to_vec(), vec![b'1'; 200], b"\r\n".to_vec()].concat();
        assert!(matches!(read_all(&long).1, Some(AofError::Format { .. })));
        let (_, err, valid) = read_all(&[good.clone(), b"xyz\r\n".to_vec()].concat());
        assert!(matches!(err, Some(AofError::NotCommand { at, byte: b'x' }) if at == 14));
        assert_eq!(valid, 14);
    }

    #[test]
    fn rdb_preamble_is_detected_then_commands_follow_it() {
        use crate::keyspace::{Entry, Str, Value};
        use crate::persistence::rdb::RdbWriter;
        let mut w = RdbWriter::new(Vec::new()).unwrap();
        w.select_db(0, 1, 0).unwrap();
        let e = Entry::new(Value::Str(Str::from_bytes(b"v")), 0);
        w.entry(b"k", &e, 0).unwrap();
        let rdb = w.finish().unwrap();
        let cmd = resp(&[b"SET", b"a", b"b"]);
        let file = [rdb.clone(), cmd.clone()].concat();

        let mut r = reader(&file);
        assert!(r.has_rdb_preamble());
        let mut keys = 0;
        {
            let mut rd = r.rdb_preamble().unwrap();
            while let Some(ev) = rd.next_event().unwrap() {
                if let RdbEvent::Entry { key, .. } = ev {
                    assert_eq!(key, b"k");
                    keys += 1;
                }
            }
        }
        assert_eq!(keys, 1);
        assert_eq!(r.offset(), rdb.len() as u64);
        assert_eq!(
            r.next_command().unwrap(),
            Some(vec![b"SET".to_vec(), b"a".to_vec(), b"b".to_vec()])
        );
        assert_eq!(r.valid_up_to(), file.len() as u64);

        // A cut after the preamble keeps the preamble as the good prefix.
        let mut r = reader(&file[..file.len() - 3]);
        assert!(matches!(r.skip_rdb_preamble(), Ok(Checksum::Verified(_))));
        assert!(r.next_command().unwrap_err().is_truncated());
        assert_eq!(r.valid_up_to(), rdb.len() as u64);

        // A base that is only an RDB: clean end right after it.
        let mut r = reader(&rdb);
        r.skip_rdb_preamble().unwrap();
        assert!(r.next_command().unwrap().is_none());
        assert_eq!(r.valid_up_to(), rdb.len() as u64);

        // Without reading the preamble, its bytes are not commands.
        assert!(matches!(
            reader(&file).next_command(),
            Err(AofError::NotCommand { byte: b'R', .. })
        ));
    }

    #[test]
    fn reads_through_a_reader_that_returns_one_byte_at_a_time() {
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(1);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let file = [b"#TS:5\r\n".to_vec(), resp(&[b"SET", b"k", b"v"])].concat();
        let mut r = AofReader::new(Trickle(&file)).unwrap();
        assert!(!r.has_rdb_preamble());
        assert_eq!(r.next_command().unwrap().unwrap().len(), 3);
        assert!(r.next_command().unwrap().is_none());
    }
}
