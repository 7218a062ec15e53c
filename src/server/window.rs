//! The prefetch window: a connection parses the next few requests of a pipeline before running
//! them, and starts loading their keys' slot tables, buckets and nodes into the cache meanwhile.
//!
//! A GET or SET of a random key spends most of its time waiting on three or four cache misses
//! in a row (the slot table, its control bytes and bucket, the key's node): with a 100 000-key
//! keyspace, 31 % of a pipelined SET's time went to the hash probe. Started together for 16
//! requests, in three steps ([`crate::keyspace::Ahead`]), those waits overlap instead. Redis 8
//! prefetches a batch's keys in the same way. The requests parsed here are handed back to the
//! connection one at a time ([`Window::take`]), so nothing is parsed twice.
//!
//! A lone request (no pipeline) has nothing to overlap with: its keys are not warmed, but it is
//! handed back parsed all the same.

use crate::commands::{Args, Named};
use crate::keyspace::Ahead;
use crate::protocol::parse::ArgSource;
use crate::protocol::{parse_request, Request, RequestLimits};
use std::ops::Range;

/// Requests of a pipeline parsed and prefetched together, ahead of running them.
pub const REQUESTS: usize = 16;
/// At most this many keys per window (an MSET names many).
pub const KEYS: usize = 32;
// `Window::values` has a bit per key.
const _: () = assert!(KEYS <= u32::BITS as usize);
/// At most this many elements of collections per window (HSET's fields, SADD's members, ...).
pub const ELEMS: usize = 64;

/// A request the window parsed.
struct Parsed {
    /// Where it starts in the read buffer, bytes.
    start: usize,
    /// Its length, bytes.
    len: usize,
    /// Its arguments' ranges (relative to `start`) within `Window::ranges`.
    args: Range<usize>,
}

/// One connection's window, reused from batch to batch (no allocation once warm).
#[derive(Default)]
pub struct Window {
    keys: Vec<Ahead>,
    /// Where each of `keys` is in the buffer.
    key_at: Vec<Range<usize>>,
    /// Bit i: a command reads or overwrites the string value of `keys[i]` (GET, SET, ...).
    values: u32,
    /// Elements the window's commands name: (index in `keys`, where in the buffer).
    elems: Vec<(usize, Range<usize>)>,
    /// Per key with elements: (index in `keys`, its elements' hashes' range in `hashes`).
    elem_keys: Vec<(usize, Range<usize>)>,
    /// The elements' hashes, kept between the two element steps.
    hashes: Vec<u64>,
    requests: Vec<Parsed>,
    /// The next request of `requests` to hand out.
    next: usize,
    ranges: Vec<Range<usize>>,
    /// The parser's buffers for one request.
    one: Vec<Range<usize>>,
    scratch: Vec<u8>,
}

impl Window {
    /// Forgets the window (the read buffer is about to move).
    pub fn clear(&mut self) {
        self.requests.clear();
        self.next = 0;
    }

    /// Parses up to [`REQUESTS`] complete requests of `buf` from `from` and prefetches their
    /// keys in database `db` (the shards' locks are only tried, never waited for). Returns
    /// where the window ends: from there on the connection parses for itself, or fills the
    /// window again. Stops before an inline request or anything the parser does not accept,
    /// which the connection parses (and answers) itself.
    pub fn fill(
        &mut self,
        ks: &crate::keyspace::Keyspace,
        db: usize,
        buf: &[u8],
        from: usize,
        limits: &RequestLimits,
    ) -> usize {
        self.clear();
        self.keys.clear();
        self.key_at.clear();
        self.values = 0;
        self.elems.clear();
        self.ranges.clear();
        let mut at = from;
        while self.requests.len() < REQUESTS && self.keys.len() < KEYS {
            let mut hint = 0;
            let parsed = parse_request(
                &buf[at..],
                limits,
                &mut self.one,
                &mut self.scratch,
                &mut hint,
            );
            let Ok(Some(req)) = parsed else { break };
            if !matches!(req.source, ArgSource::Buffer) {
                break;
            }
            if self.requests.is_empty() && at + req.len == buf.len() {
                // A lone request: its keys' loads would have nothing to overlap with, so none
                // are started; it is handed back as parsed, not parsed a second time.
                self.ranges.extend_from_slice(&self.one);
                self.requests.push(Parsed {
                    start: at,
                    len: req.len,
                    args: 0..self.ranges.len(),
                });
                return buf.len();
            }
            let first = self.ranges.len();
            self.ranges.extend_from_slice(&self.one);
            self.requests.push(Parsed {
                start: at,
                len: req.len,
                args: first..self.ranges.len(),
            });
            if !self.one.is_empty() {
                let (keys, key_at, values, elems) = (
                    &mut self.keys,
                    &mut self.key_at,
                    &mut self.values,
                    &mut self.elems,
                );
                let offset = |b: &[u8]| {
                    let start = b.as_ptr() as usize - buf.as_ptr() as usize;
                    start..start + b.len()
                };
                // Whether this request's key is the last of `keys`, so its elements go with it.
                let mut warmed = false;
                crate::commands::request_keys(&Args::new(&buf[at..], &self.one), |n| match n {
                    Named::Key { key, value } => {
                        let a = ks.ahead(db, key);
                        // A run of commands on one key (LPUSH mylist ...) warms it once. (Two
                        // keys of one slot and one 64-bit hash would be taken for one: a
                        // prefetch less.)
                        warmed = keys.last() == Some(&a);
                        if keys.len() < KEYS && !warmed {
                            keys.push(a);
                            key_at.push(offset(key));
                            warmed = true;
                        }
                        if warmed && value {
                            *values |= 1 << (keys.len() - 1);
                        }
                    }
                    Named::Elem(elem) => {
                        if warmed && elems.len() < ELEMS {
                            elems.push((keys.len() - 1, offset(elem)));
                        }
                    }
                });
            }
            at += req.len;
        }
        for a in &self.keys {
            ks.prefetch_buckets(a);
        }
        for a in &self.keys {
            ks.prefetch_node(a);
        }
        let mut values = self.values;
        while values != 0 {
            let i = values.trailing_zeros() as usize;
            values &= values - 1;
            ks.prefetch_value(&self.keys[i], &buf[self.key_at[i].clone()]);
        }
        self.warm_elems(ks, buf);
        at
    }

    /// The element steps, per key whose commands name elements: the index groups of all of
    /// them first, then their entries, so each step's loads land while the next is issued.
    fn warm_elems(&mut self, ks: &crate::keyspace::Keyspace, buf: &[u8]) {
        self.elem_keys.clear();
        self.hashes.clear();
        let mut i = 0;
        while i < self.elems.len() {
            let k = self.elems[i].0;
            let end = i + self.elems[i..].iter().take_while(|e| e.0 == k).count();
            let key = &buf[self.key_at[k].clone()];
            let elems = self.elems[i..end].iter().map(|e| &buf[e.1.clone()]);
            let h = self.hashes.len();
            ks.prefetch_elem_index(&self.keys[k], key, elems, &mut self.hashes);
            self.elem_keys.push((k, h..self.hashes.len()));
            i = end;
        }
        for (k, h) in &self.elem_keys {
            let key = &buf[self.key_at[*k].clone()];
            ks.prefetch_elem_entries(&self.keys[*k], key, &self.hashes[h.clone()]);
        }
    }

    /// The request starting at `pos` if the window parsed it: its ranges go to `ranges`, as
    /// [`parse_request`] would have put them.
    #[inline]
    pub fn take(&mut self, pos: usize, ranges: &mut Vec<Range<usize>>) -> Option<Request> {
        let p = self.requests.get(self.next).filter(|p| p.start == pos)?;
        self.next += 1;
        ranges.clear();
        ranges.extend_from_slice(&self.ranges[p.args.clone()]);
        Some(Request {
            len: p.len,
            source: ArgSource::Buffer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> RequestLimits {
        RequestLimits {
            authenticated: true,
            ..RequestLimits::default()
        }
    }

    /// The requests, each as a RESP array of bulk strings, one after the other.
    fn requests(reqs: &[&[&str]]) -> Vec<u8> {
        let mut buf = Vec::new();
        for args in reqs {
            buf.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for a in *args {
                buf.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
            }
        }
        buf
    }

    #[test]
    fn hands_back_what_the_parser_would_give() {
        let ks = crate::keyspace::Keyspace::new(16, 16);
        let buf = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n\
                    *1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1";
        let mut w = Window::default();
        let end = w.fill(&ks, 0, buf, 0, &limits());
        // Three complete requests; the fourth is cut short and left to the connection.
        assert_eq!(w.requests.len(), 3);
        assert_eq!(
            w.keys.len(),
            1,
            "SET a, then GET a: warmed once; PING has none"
        );
        let (mut pos, mut got, mut want) = (0, Vec::new(), Vec::new());
        for _ in 0..3 {
            let req = w.take(pos, &mut got).expect("parsed by the window");
            let mut hint = 0;
            let mut scratch = Vec::new();
            let again = parse_request(&buf[pos..], &limits(), &mut want, &mut scratch, &mut hint)
                .unwrap()
                .unwrap();
            assert_eq!((req.len, &got), (again.len, &want));
            pos += req.len;
        }
        assert_eq!(pos, end);
        assert!(w.take(pos, &mut got).is_none());
        // A request the window did not parse is not handed out.
        assert!(w.take(0, &mut got).is_none());
    }

    /// Elements go with their key: HSET's fields (every other argument), SADD's members, ZADD's
    /// members after their scores; none for a command without them.
    #[test]
    fn collects_the_elements_of_each_key() {
        let ks = crate::keyspace::Keyspace::new(16, 16);
        let buf = requests(&[
            &["HSET", "h", "f1", "v1", "f2", "v2"],
            &["HGET", "h", "f3"],
            &["GET", "s"],
            &["SADD", "set", "m1", "m2"],
            &["ZADD", "z", "1", "a", "2", "b"],
        ]);
        let mut w = Window::default();
        w.fill(&ks, 0, &buf, 0, &limits());
        let named: Vec<(&[u8], &[u8])> = w
            .elems
            .iter()
            .map(|(k, e)| (&buf[w.key_at[*k].clone()], &buf[e.clone()]))
            .collect();
        let want: Vec<(&[u8], &[u8])> = vec![
            (b"h", b"f1"),
            (b"h", b"f2"),
            (b"h", b"f3"),
            (b"set", b"m1"),
            (b"set", b"m2"),
            (b"z", b"a"),
            (b"z", b"b"),
        ];
        assert_eq!(named, want);
        // HSET h then HGET h: one key, warmed once, with the elements of both.
        assert_eq!(w.keys.len(), 4);
    }

    /// The keys of GET, SET and MGET have their values' bytes warmed; those of commands that
    /// neither read nor overwrite a value whole (EXPIRE, DEL, HGET) do not.
    #[test]
    fn marks_the_keys_whose_values_are_read_or_overwritten() {
        let ks = crate::keyspace::Keyspace::new(16, 16);
        let buf = requests(&[
            &["GET", "a"],
            &["EXPIRE", "b", "10"],
            &["SET", "c", "v"],
            &["DEL", "d"],
            &["MGET", "e", "f"],
            &["HGET", "g", "x"],
            // EXPIRE first, then GET: the key is warmed once, and its value too.
            &["EXPIRE", "h", "10"],
            &["GET", "h"],
        ]);
        let mut w = Window::default();
        w.fill(&ks, 0, &buf, 0, &limits());
        let marked: Vec<&[u8]> = (0..w.keys.len())
            .filter(|i| w.values & (1 << i) != 0)
            .map(|i| &buf[w.key_at[i].clone()])
            .collect();
        let want: Vec<&[u8]> = vec![b"a", b"c", b"e", b"f", b"h"];
        assert_eq!(marked, want);
        assert_eq!(w.keys.len(), 8);
    }

    #[test]
    fn hands_back_a_lone_request_and_leaves_inline_and_bad_ones_to_the_connection() {
        let ks = crate::keyspace::Keyspace::new(16, 16);
        let mut w = Window::default();
        let lone = b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n";
        assert_eq!(w.fill(&ks, 0, lone, 0, &limits()), lone.len());
        // Handed back as parsed (not parsed twice), with no key warmed.
        assert!(w.keys.is_empty());
        let mut got = Vec::new();
        let req = w.take(0, &mut got).expect("the lone request, parsed");
        let (mut want, mut scratch, mut hint) = (Vec::new(), Vec::new(), 0);
        let again = parse_request(lone, &limits(), &mut want, &mut scratch, &mut hint)
            .unwrap()
            .unwrap();
        assert_eq!((req.len, &got), (again.len, &want));
        assert!(w.take(req.len, &mut got).is_none());
        let inline = b"*1\r\n$4\r\nPING\r\nGET a\r\nPING\r\n";
        assert_eq!(w.fill(&ks, 0, inline, 0, &limits()), 14);
        let bad = b"*1\r\n$4\r\nPING\r\n*1\r\n!4\r\nPING\r\n";
        assert_eq!(w.fill(&ks, 0, bad, 0, &limits()), 14);
        assert_eq!(w.requests.len(), 1);
    }
}
