//! The slow log (SLOWLOG GET/LEN/RESET): commands that took at least `slowlog-log-slower-than`
//! microseconds, newest first, at most `slowlog-max-len` entries. Arguments are kept as Redis
//! keeps them: at most 32 (the last saying "... (N more arguments)"), each cut to 128 bytes with
//! "... (N more bytes)".

use crate::commands::Args;
use std::collections::VecDeque;

/// One slow log entry.
pub struct Entry {
    pub id: u64,
    /// Unix seconds.
    pub time: u64,
    /// Microseconds.
    pub usec: u64,
    pub args: Vec<Vec<u8>>,
    pub addr: String,
    pub name: Vec<u8>,
}

pub struct SlowLog {
    pub entries: VecDeque<Entry>,
    next_id: u64,
    max_len: usize,
}

const MAX_ARGC: usize = 32;
const MAX_STRING: usize = 128;

impl SlowLog {
    pub fn new(max_len: usize) -> SlowLog {
        SlowLog {
            entries: VecDeque::new(),
            next_id: 0,
            max_len,
        }
    }

    pub fn set_max_len(&mut self, n: usize) {
        self.max_len = n;
        self.entries.truncate(n);
    }

    pub fn push(&mut self, args: &Args<'_>, time: u64, usec: u64, addr: &str, name: &[u8]) {
        if self.max_len == 0 {
            return;
        }
        let argc = args.len().min(MAX_ARGC);
        let mut v = Vec::with_capacity(argc);
        for i in 0..argc {
            if argc != args.len() && i == argc - 1 {
                v.push(format!("... ({} more arguments)", args.len() - argc + 1).into_bytes());
                break;
            }
            let a = args.get(i);
            if a.len() > MAX_STRING {
                let mut s = a[..MAX_STRING].to_vec();
                s.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes(),
                );
                v.push(s);
            } else {
                v.push(a.to_vec());
            }
        }
        self.entries.push_front(Entry {
            id: self.next_id,
            time,
            usec,
            args: v,
            addr: addr.into(),
            name: name.into(),
        });
        self.next_id += 1;
        self.entries.truncate(self.max_len);
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }
}
