//! The command table: one row per command (and per subcommand), the single source of arity,
//! flags, key positions, ACL categories and documentation.
//!
//! Each family file (`strings.rs`, `keys.rs`, ...) declares its rows beside its handlers; this
//! module gathers them into [`Table`]. Dispatch (arity errors, auth, key extraction for locking and
//! slot routing), `COMMAND` / `COMMAND INFO|DOCS|COUNT|GETKEYS|LIST` and docs/commands.md are
//! derived from these rows and written nowhere else. Flag and category names follow Redis 7.0's
//! `src/commands/*.json`.

use super::args::Args;
use super::error::CmdResult;
use super::Ctx;
use std::sync::OnceLock;

/// A handler: sees the parsed arguments and the locked shards, writes its reply to `ctx.out`.
pub type Handler = fn(&mut Ctx<'_, '_>, &Args<'_>) -> CmdResult;

/// Command flags, as bits. Names are Redis's (COMMAND INFO shows them).
pub mod flag {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MULTI: u32 = 1 << 14;
    pub const ALLOW_BUSY: u32 = 1 << 15;
    pub const SENTINEL: u32 = 1 << 16;
    pub const NO_ASYNC_LOADING: u32 = 1 << 17;
    /// shoal's own (not shown by COMMAND): the command runs holding every shard lock, because
    /// it reaches keys its arguments do not name (SORT ... BY/GET patterns).
    pub const LOCK_ALL: u32 = 1 << 24;
    /// Accepted for a slot this node is importing without ASKING first (RESTORE-ASKING):
    /// Redis's CMD_ASKING.
    pub const ASKING: u32 = 1 << 18;

    /// Names in the order COMMAND INFO lists them.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (ALLOW_BUSY, "allow_busy"),
        (SENTINEL, "sentinel"),
        (ASKING, "asking"),
    ];
}

/// ACL categories as bits, in Redis's order (COMMAND INFO lists them in this order).
pub mod acl {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const READ: u32 = 1 << 1;
    pub const WRITE: u32 = 1 << 2;
    pub const SET: u32 = 1 << 3;
    pub const SORTEDSET: u32 = 1 << 4;
    pub const LIST: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const STRING: u32 = 1 << 7;
    pub const BITMAP: u32 = 1 << 8;
    pub const HYPERLOGLOG: u32 = 1 << 9;
    pub const GEO: u32 = 1 << 10;
    pub const STREAM: u32 = 1 << 11;
    pub const PUBSUB: u32 = 1 << 12;
    pub const ADMIN: u32 = 1 << 13;
    pub const FAST: u32 = 1 << 14;
    pub const SLOW: u32 = 1 << 15;
    pub const BLOCKING: u32 = 1 << 16;
    pub const DANGEROUS: u32 = 1 << 17;
    pub const CONNECTION: u32 = 1 << 18;
    pub const TRANSACTION: u32 = 1 << 19;
    pub const SCRIPTING: u32 = 1 << 20;

    pub const NAMES: &[&str] = &[
        "keyspace",
        "read",
        "write",
        "set",
        "sortedset",
        "list",
        "hash",
        "string",
        "bitmap",
        "hyperloglog",
        "geo",
        "stream",
        "pubsub",
        "admin",
        "fast",
        "slow",
        "blocking",
        "dangerous",
        "connection",
        "transaction",
        "scripting",
    ];
}

/// One row of the table.
pub struct Command {
    /// Lower-case name; a subcommand's is `container|sub` (e.g. `client|list`), as Redis 7 shows.
    pub name: &'static str,
    /// Redis arity: `n` means exactly n arguments (name included), `-n` at least n.
    pub arity: i32,
    /// [`flag`] bits.
    pub flags: u32,
    /// Position of the first key (0 = no keys), last key (-1 = the last argument, -2 the one
    /// before, ...), and the step between keys.
    pub keys: (i32, i32, i32),
    /// Keys counted by an argument (Redis's `keynum` key spec, e.g. `LMPOP numkeys key ...`):
    /// (position of the count, offset of the first key after it, step); (0, 0, 0) = none.
    /// Such commands are `movablekeys`; their keys are found in addition to `keys`.
    pub keynum: (i32, i32, i32),
    /// Keys found by parsing the arguments (XREAD / XREADGROUP: the first half of the arguments
    /// after STREAMS): returns the positions' range. The handler uses the same function, so the
    /// keys it touches are the ones dispatch locked. Such commands are `movablekeys`.
    pub key_find: Option<fn(&Args<'_>) -> std::ops::Range<usize>>,
    /// Keys found by reading the arguments (Redis's `getkeys_proc`, e.g. SORT's `STORE dst`):
    /// returns every key position, `keys` included. Such commands are `movablekeys`; they must
    /// also carry [`flag::LOCK_ALL`], since dispatch locks by `keys`/`keynum` only.
    pub getkeys: Option<fn(&Args<'_>) -> Vec<usize>>,
    /// Elements of the key's collection the command names (HSET's fields, SADD's members,
    /// ZADD's members): (position of the first, step); (0, 0) = none. Only the prefetch window
    /// reads it, to warm the collection's index: a wrong position costs a wasted prefetch
    /// (ZADD's options move its members; the window assumes none).
    pub elems: (i32, i32),
    /// The command reads its keys' string values whole or overwrites them (GET, SET, MGET,
    /// ...). Only the prefetch window reads it, to load the values' bytes ahead too: a wrong
    /// setting costs a wasted or a missed prefetch, nothing else.
    pub warm_value: bool,
    /// Explicit ACL categories ([`acl`] bits); those implied by flags are added by [`Command::acl`].
    pub acl: u32,
    /// Redis's command group (`string`, `generic`, `connection`, `server`, ...).
    pub group: &'static str,
    /// The Redis version that introduced it.
    pub since: &'static str,
    /// One-line summary (COMMAND DOCS, docs/commands.md).
    pub summary: &'static str,
    /// Time complexity as redis.io states it.
    pub complexity: &'static str,
    pub handler: Handler,
    /// Subcommands of a container command (CLIENT, CONFIG, ...).
    pub subcommands: &'static [Command],
}

impl Command {
    /// All ACL categories: explicit ones plus those implied by the flags (Redis's
    /// `setImplicitACLCategories`).
    pub fn acl(&self) -> u32 {
        let mut a = self.acl;
        if self.flags & flag::WRITE != 0 {
            a |= acl::WRITE;
        }
        if self.flags & flag::READONLY != 0 && a & acl::SCRIPTING == 0 {
            a |= acl::READ;
        }
        if self.flags & flag::ADMIN != 0 {
            a |= acl::ADMIN | acl::DANGEROUS;
        }
        if self.flags & flag::PUBSUB != 0 {
            a |= acl::PUBSUB;
        }
        if self.flags & flag::FAST != 0 {
            a |= acl::FAST;
        }
        if self.flags & flag::BLOCKING != 0 {
            a |= acl::BLOCKING;
        }
        if a & acl::FAST == 0 {
            a |= acl::SLOW;
        }
        a
    }

    /// Whether `n` arguments (name included) satisfy the arity.
    #[inline]
    pub fn arity_ok(&self, n: usize) -> bool {
        let n = n as i32;
        if self.arity >= 0 {
            n == self.arity
        } else {
            n >= -self.arity
        }
    }

    /// Whether the key positions depend on the arguments (COMMAND INFO's `movablekeys`).
    pub fn movable_keys(&self) -> bool {
        self.keynum.0 > 0 || self.getkeys.is_some() || self.key_find.is_some()
    }

    /// Key positions as COMMAND GETKEYS reports them: the row's `getkeys` when it has one,
    /// else [`Command::key_positions`].
    pub fn all_key_positions(&self, args: &Args<'_>) -> Vec<usize> {
        match self.getkeys {
            Some(f) => f(args),
            None => self.key_positions(args).collect(),
        }
    }

    /// Whether the command has keys at all.
    #[inline]
    pub fn has_keys(&self) -> bool {
        self.keys.0 > 0 || self.keynum.0 > 0 || self.key_find.is_some()
    }

    /// The key of a command whose only key is its first argument (GET, SET, INCR, LPUSH, ...),
    /// found without walking [`Command::key_positions`]; None for every other shape, or when
    /// `args` (not yet arity-checked) has no first argument.
    #[inline]
    pub fn single_key<'a>(&self, args: &Args<'a>) -> Option<&'a [u8]> {
        let single = self.keys == (1, 1, 1) && self.keynum.0 == 0 && self.key_find.is_none();
        (single && args.len() >= 2).then(|| args.get(1))
    }

    /// Positions of the keys among `args` (name at 0): the fixed range, then the counted ones.
    /// A count that is not a positive integer yields no counted keys (the handler rejects it).
    #[inline]
    pub fn key_positions(&self, args: &Args<'_>) -> impl Iterator<Item = usize> {
        let argc = args.len();
        let counted = {
            let (at, offset, step) = self.keynum;
            let (at, step) = (at.max(0) as usize, step.max(1) as usize);
            let n = if at > 0 && at < argc {
                crate::util::parse_i64(args.get(at))
                    .unwrap_or(0)
                    .clamp(0, argc as i64) as usize
            } else {
                0
            };
            let start = at + offset.max(0) as usize;
            let end = (start + n * step).min(argc).max(start);
            (start..end).step_by(step)
        };
        let found = self.key_find.map_or(0..0, |f| f(args));
        self.fixed_key_positions(argc).chain(counted).chain(found)
    }

    fn fixed_key_positions(&self, argc: usize) -> impl Iterator<Item = usize> {
        let (first, last, step) = self.keys;
        let argc = argc as i32;
        let last = if last < 0 {
            argc + last
        } else {
            last.min(argc - 1)
        };
        let (first, step) = if first <= 0 || step <= 0 {
            (1, 1)
        } else {
            (first, step)
        };
        let end = if self.keys.0 <= 0 { 0 } else { last + 1 };
        (first..end.max(first))
            .step_by(step as usize)
            .map(|i| i as usize)
    }

    /// The name as clients see it in errors: `get`, or `client|setname` for a subcommand.
    pub fn display_name(&self) -> &'static str {
        self.name
    }

    /// The subcommand's own name (`setname` of `client|setname`).
    pub fn short_name(&self) -> &'static str {
        self.name.rsplit('|').next().unwrap_or(self.name)
    }
}

/// A command name's first eight bytes, lower-cased, zero-padded, as one word: what
/// [`Table`]'s index hashes and compares first.
#[inline]
fn name_word(name: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    for (d, s) in word.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    u64::from_le_bytes(word)
}

/// Where a name with `word` ([`name_word`]) and length `len` starts probing in an index of
/// `mask + 1` places: Fibonacci hashing of the two.
#[inline]
fn name_slot(word: u64, len: usize, mask: usize) -> usize {
    ((word ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask
}

/// One place of [`Table`]'s name index.
#[derive(Clone, Copy, Default)]
struct NameSlot {
    /// [`name_word`] of the name.
    word: u64,
    len: u16,
    /// 1 + the command's index in `Table::commands`; 0: an empty place.
    index: u16,
}

/// All commands, looked up by lower-case name; every row (subcommands too) has an id used to
/// index per-command statistics.
pub struct Table {
    pub commands: Vec<&'static Command>,
    /// Open addressing by name, at most half full: a lookup hashes the name's length and first
    /// eight bytes and compares them as one word (the rest of a longer name byte by byte),
    /// with no copy and no general-purpose hasher. This runs for every request, twice for a
    /// pipelined one (its keys are prefetched first).
    by_name: Box<[NameSlot]>,
    /// Every row including subcommands, in id order: each container is followed by its
    /// subcommands, so a subcommand's id is its container's id + 1 + its index.
    pub rows: Vec<&'static Command>,
    /// Row id of each top-level command, parallel to `commands`.
    top_ids: Vec<usize>,
}

impl Table {
    fn build() -> Table {
        let mut commands: Vec<&'static Command> = Vec::new();
        for family in super::FAMILIES {
            commands.extend(family.iter());
        }
        commands.sort_by_key(|c| c.name);
        let places = (commands.len() * 2).next_power_of_two();
        let mut by_name = vec![NameSlot::default(); places].into_boxed_slice();
        let mask = places - 1;
        for (i, c) in commands.iter().enumerate() {
            let (word, len) = (name_word(c.name.as_bytes()), c.name.len());
            let mut at = name_slot(word, len, mask);
            while by_name[at].index != 0 {
                at = (at + 1) & mask;
            }
            by_name[at] = NameSlot {
                word,
                len: u16::try_from(len).expect("a short name"),
                index: u16::try_from(i + 1).expect("fewer than 65535 commands"),
            };
        }
        let mut rows = Vec::new();
        let mut top_ids = Vec::new();
        for c in &commands {
            top_ids.push(rows.len());
            rows.push(*c);
            rows.extend(c.subcommands.iter());
        }
        Table {
            commands,
            by_name,
            rows,
            top_ids,
        }
    }

    /// The process-wide table.
    pub fn get() -> &'static Table {
        static T: OnceLock<Table> = OnceLock::new();
        T.get_or_init(Table::build)
    }

    /// Finds a top-level command by name, any case, without allocating.
    #[inline]
    pub fn lookup(&self, name: &[u8]) -> Option<&'static Command> {
        self.lookup_id(name).map(|id| self.rows[id])
    }

    /// The row id of a top-level command, by name, any case.
    #[inline]
    pub fn lookup_id(&self, name: &[u8]) -> Option<usize> {
        let mask = self.by_name.len() - 1;
        let word = name_word(name);
        let mut at = name_slot(word, name.len(), mask);
        loop {
            let place = self.by_name[at];
            let i = (place.index as usize).checked_sub(1)?;
            if place.word == word && place.len as usize == name.len() {
                let rest = self.commands[i]
                    .name
                    .as_bytes()
                    .get(8..)
                    .unwrap_or_default();
                if rest.eq_ignore_ascii_case(name.get(8..).unwrap_or_default()) {
                    return Some(self.top_ids[i]);
                }
            }
            at = (at + 1) & mask;
        }
    }

    /// The row id of the subcommand `sub` (any case) of the container with row id `parent`.
    pub fn lookup_sub_id(&self, parent: usize, sub: &[u8]) -> Option<usize> {
        let cmd = self.rows[parent];
        cmd.subcommands
            .iter()
            .position(|s| s.short_name().as_bytes().eq_ignore_ascii_case(sub))
            .map(|i| parent + 1 + i)
    }

    /// docs/commands.md, generated from the table.
    pub fn markdown(&self) -> String {
        let mut s = String::from(
            "# Supported commands\n\n\
             Generated from the command table (`src/commands/table.rs` and the family files) by\n\
             `SHOAL_BLESS=1 cargo test`; a test fails when this file and the table disagree.\n\
             Semantics, replies and errors follow Redis 7.0.15; see redis.io for each command's page.\n",
        );
        let mut groups: Vec<&str> = self.commands.iter().map(|c| c.group).collect();
        groups.sort();
        groups.dedup();
        for g in groups {
            s.push_str(&format!("\n## {g}\n\n| command | arity | flags | summary | since |\n|---|---|---|---|---|\n"));
            for c in self.commands.iter().filter(|c| c.group == g) {
                row(&mut s, c);
                for sub in c.subcommands {
                    row(&mut s, sub);
                }
            }
        }
        s
    }
}

fn row(s: &mut String, c: &Command) {
    let flags: Vec<&str> = flag::NAMES
        .iter()
        .filter(|(b, _)| c.flags & b != 0)
        .map(|(_, n)| *n)
        .collect();
    s.push_str(&format!(
        "| `{}` | {} | {} | {} | {} |\n",
        c.name.replace('|', " ").to_uppercase(),
        c.arity,
        flags.join(", "),
        c.summary,
        c.since
    ));
}

/// A row with no handler yet serves as the container of subcommands; dispatch never calls it.
pub fn container(_: &mut Ctx<'_, '_>, _: &Args<'_>) -> CmdResult {
    Err(super::error::CmdError::Syntax)
}

/// A row to copy from with `..BASE`; every real row sets name, arity, group, since, summary,
/// complexity and handler.
pub const BASE: Command = Command {
    name: "",
    arity: 1,
    flags: 0,
    keys: (0, 0, 0),
    keynum: (0, 0, 0),
    key_find: None,
    getkeys: None,
    elems: (0, 0),
    warm_value: false,
    acl: 0,
    group: "",
    since: "",
    summary: "",
    complexity: "",
    handler: container,
    subcommands: &[],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_invariants_hold() {
        let t = Table::get();
        for c in &t.rows {
            assert!(c.arity != 0, "{} has arity 0", c.name);
            assert_eq!(c.name, c.name.to_ascii_lowercase());
            assert!(
                !(c.flags & flag::WRITE != 0 && c.flags & flag::READONLY != 0),
                "{} both write and readonly",
                c.name
            );
            if c.keys.0 > 0 {
                assert!(c.keys.2 > 0, "{} key step", c.name);
                assert!(
                    c.arity.unsigned_abs() as i32 > c.keys.0,
                    "{}: first key beyond arity",
                    c.name
                );
            }
            assert!(
                !c.summary.is_empty() && !c.since.is_empty() && !c.group.is_empty(),
                "{} docs",
                c.name
            );
            for s in c.subcommands {
                assert!(
                    s.name.starts_with(&format!("{}|", c.name)),
                    "{} under {}",
                    s.name,
                    c.name
                );
            }
        }
        let mut names: Vec<_> = t.commands.iter().map(|c| c.name).collect();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len(), "duplicate command names");
    }

    #[test]
    fn every_name_is_found_in_any_case_and_others_are_not() {
        let t = Table::get();
        for (i, c) in t.commands.iter().enumerate() {
            let upper = c.name.to_ascii_uppercase();
            let mixed: String = c
                .name
                .chars()
                .enumerate()
                .map(|(j, ch)| {
                    if j % 2 == 0 {
                        ch.to_ascii_uppercase()
                    } else {
                        ch
                    }
                })
                .collect();
            for name in [c.name, upper.as_str(), mixed.as_str()] {
                assert_eq!(t.lookup_id(name.as_bytes()), Some(t.top_ids[i]), "{name}");
            }
        }
        // Prefixes, extensions, non-ASCII and empty names hash somewhere and find nothing.
        for name in [
            &b""[..],
            b"ge",
            b"gett",
            b"zrangebyscorex",
            b"s\xc3\xa9t",
            b"\xff",
        ] {
            assert_eq!(t.lookup_id(name), None);
        }
        // The index is at most half full, so probes stay short.
        assert!(t.commands.len() * 2 <= t.by_name.len());
    }

    #[test]
    fn key_positions_follow_first_last_step() {
        let t = Table::get();
        let pos = |c: &Command, words: &[&str]| -> Vec<usize> {
            let (text, ranges) = crate::commands::args::word_ranges(words);
            c.key_positions(&Args::new(text.as_bytes(), &ranges))
                .collect()
        };
        let mset = t.lookup(b"MSET").unwrap();
        assert_eq!(pos(mset, &["mset", "a", "1", "b", "2"]), vec![1, 3]);
        let get = t.lookup(b"get").unwrap();
        assert_eq!(pos(get, &["get", "k"]), vec![1]);
        let ping = t.lookup(b"ping").unwrap();
        assert_eq!(pos(ping, &["ping", "x"]).len(), 0);
        // A counted-keys row: `CMD dest numkeys k1 k2 opt`.
        let counted = Command {
            name: "x",
            arity: -4,
            keys: (1, 1, 1),
            keynum: (2, 1, 1),
            ..BASE
        };
        assert_eq!(
            pos(&counted, &["x", "d", "2", "k1", "k2", "opt"]),
            vec![1, 3, 4]
        );
        assert_eq!(pos(&counted, &["x", "d", "9", "k1"]), vec![1, 3]);
        assert_eq!(pos(&counted, &["x", "d", "zz", "k1"]), vec![1]);
        assert_eq!(
            t.lookup(b"get").unwrap().acl(),
            acl::READ | acl::STRING | acl::FAST
        );
        assert_eq!(
            t.lookup(b"set").unwrap().acl(),
            acl::WRITE | acl::STRING | acl::SLOW
        );
    }

    #[test]
    fn docs_commands_md_is_generated_from_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/commands.md");
        let want = Table::get().markdown();
        if std::env::var("SHOAL_BLESS").is_ok() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            have, want,
            "docs/commands.md is stale: run SHOAL_BLESS=1 cargo test"
        );
    }
}
