//! DUMP, RESTORE and RESTORE-ASKING: a key's value as an RDB payload and back (Redis 7.0's
//! `cluster.c`, `dumpCommand`, `restoreCommand`). The payload format lives in
//! `persistence::rdb::dump`; MIGRATE (`migrate.rs`) sends the same payloads with
//! [`dump_key`] and has them restored by RESTORE or RESTORE-ASKING.

use super::table::{acl, flag::*, Command, BASE};
use super::{Args, CmdError, CmdResult, Ctx};
use crate::persistence::rdb::{dump_payload, restore_payload};

/// The DUMP payload of `key` (the bytes DUMP replies) and its absolute expiry (unix ms), or
/// `None` when the key does not exist. A read lookup (counts a keyspace hit or miss), as
/// Redis's `lookupKeyRead` in DUMP and MIGRATE.
pub fn dump_key(ctx: &mut Ctx<'_, '_>, key: &[u8]) -> Option<(Vec<u8>, Option<u64>)> {
    let e = ctx.ks.lookup_read(key)?;
    Some((dump_payload(&e.value), e.expire_at()))
}

/// DUMP key: the serialized value, or nil. <https://redis.io/commands/dump/>
fn dump(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    match dump_key(ctx, &a[1]) {
        Some((p, _)) => ctx.out.bulk(&p),
        None => ctx.out.null(),
    }
    Ok(())
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency].
/// Checks in Redis's order: options, an existing key (BUSYKEY), the TTL, the payload footer,
/// the value. A TTL already in the past deletes the key (with REPLACE) and stores nothing.
/// FREQ is accepted and ignored (no LFU policy yet). <https://redis.io/commands/restore/>
///
/// Also RESTORE-ASKING, the form MIGRATE sends in cluster mode: the same command, which a
/// node accepts for a slot it is importing without a prior ASKING (the row's `ASKING` flag).
/// <https://redis.io/commands/restore-asking/>
fn restore(ctx: &mut Ctx<'_, '_>, a: &Args<'_>) -> CmdResult {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < a.len() {
        let more = j + 1 < a.len();
        if a.is(j, "replace") {
            replace = true;
        } else if a.is(j, "absttl") {
            absttl = true;
        } else if a.is(j, "idletime") && more && freq.is_none() {
            let v = a.i64(j + 1)?;
            if v < 0 {
                return Err(CmdError::err("Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v);
            j += 1;
        } else if a.is(j, "freq") && more && idle.is_none() {
            let v = a.i64(j + 1)?;
            if !(0..=255).contains(&v) {
                return Err(CmdError::err("Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = Some(v);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let key = &a[1];
    if !replace && ctx.ks.lookup_write(key).is_some() {
        return Err(CmdError::Other(
            "BUSYKEY Target key name already exists.".into(),
        ));
    }
    let ttl = a.i64(2)?;
    if ttl < 0 {
        return Err(CmdError::err("Invalid TTL value, must be >= 0"));
    }
    let value = restore_payload(&a[3]).map_err(|e| CmdError::Other(e.to_string()))?;
    let deleted = replace && ctx.ks.remove(key).is_some();
    // Wrapping, as Redis's `ttl += mstime()`: a huge relative TTL lands in the past and
    // stores nothing.
    let at = if ttl != 0 && !absttl {
        ttl.wrapping_add(ctx.now as i64)
    } else {
        ttl
    };
    if at != 0 && at <= ctx.now as i64 {
        if deleted {
            ctx.ks.touch_dirty(key);
            ctx.propagate(&[b"DEL", key]);
        }
        ctx.out.ok();
        return Ok(());
    }
    ctx.ks.insert(key, value, at as u64);
    if at != 0 && !absttl && ctx.feeding() {
        // A relative TTL is fed as the absolute time it came to.
        let mut n = itoa::Buffer::new();
        let mut args: Vec<&[u8]> = a.iter().collect();
        args[2] = n.format(at).as_bytes();
        args.push(b"ABSTTL");
        ctx.propagate(&args);
    }
    if idle.is_some() || freq.is_some() {
        let access = ctx.srv.keyspace.evict.loaded_access(
            idle.map(|s| s as u64),
            freq.map(|f| f as u8),
            ctx.now,
        );
        if let Some(e) = ctx.ks.peek(key) {
            e.access = access;
        }
    }
    ctx.out.ok();
    Ok(())
}

const G: Command = Command {
    group: "generic",
    acl: acl::KEYSPACE,
    since: "2.6.0",
    ..BASE
};

#[rustfmt::skip]
pub static COMMANDS: &[Command] = &[
    Command { name: "dump", arity: 2, flags: READONLY, keys: (1, 1, 1),
        summary: "Returns a serialized representation of the value stored at a key.",
        complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
        handler: dump, ..G },
    Command { name: "restore", arity: -4, flags: WRITE | DENYOOM, keys: (1, 1, 1),
        acl: acl::KEYSPACE | acl::DANGEROUS,
        summary: "Creates a key from the serialized representation of a value.",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
        handler: restore, ..G },
    Command { name: "restore-asking", arity: -4, flags: WRITE | DENYOOM | ASKING, keys: (1, 1, 1),
        acl: acl::KEYSPACE | acl::DANGEROUS, group: "server", since: "3.0.0",
        summary: "An internal command for migrating keys in a cluster.",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
        handler: restore, ..G },
];
