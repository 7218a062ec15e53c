//! The arguments of one command: borrowed slices of the read buffer (no copies).

use super::error::CmdError;
use std::ops::Range;

/// A command's arguments; `args[0]` is the command name.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    buf: &'a [u8],
    ranges: &'a [Range<usize>],
}

impl<'a> Args<'a> {
    pub fn new(buf: &'a [u8], ranges: &'a [Range<usize>]) -> Args<'a> {
        Args { buf, ranges }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Argument `i` (0 is the command name). Panics past the end: arity was checked.
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        &self.buf[self.ranges[i].clone()]
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.ranges.iter().map(|r| &self.buf[r.clone()])
    }

    /// The arguments from `n` on (COMMAND GETKEYS looks at the command it was given).
    pub fn skip(&self, n: usize) -> Args<'a> {
        Args {
            buf: self.buf,
            ranges: &self.ranges[n.min(self.ranges.len())..],
        }
    }

    /// Argument `i` as an integer (`ERR value is not an integer or out of range`).
    pub fn i64(&self, i: usize) -> Result<i64, CmdError> {
        crate::util::parse_i64(self.get(i)).ok_or(CmdError::NotInteger)
    }

    /// Argument `i` as a float (`ERR value is not a valid float`).
    pub fn f64(&self, i: usize) -> Result<f64, CmdError> {
        crate::util::parse_f64(self.get(i)).ok_or(CmdError::NotFloat)
    }

    /// Whether argument `i` equals `word`, ignoring ASCII case.
    #[inline]
    pub fn is(&self, i: usize, word: &str) -> bool {
        self.get(i).eq_ignore_ascii_case(word.as_bytes())
    }

    /// Argument `i` as UTF-8 (lossy), for messages.
    pub fn str(&self, i: usize) -> String {
        String::from_utf8_lossy(self.get(i)).into_owned()
    }
}

/// Tests: the text of `words` joined by spaces and the byte range of each word in it, the
/// two parts of an [`Args`] (`Args::new(text.as_bytes(), &ranges)`).
#[cfg(test)]
pub(crate) fn word_ranges(words: &[&str]) -> (String, Vec<Range<usize>>) {
    let text = words.join(" ");
    let mut ranges = Vec::with_capacity(words.len());
    let mut at = 0;
    for w in words {
        ranges.push(at..at + w.len());
        at += w.len() + 1;
    }
    (text, ranges)
}

impl std::ops::Index<usize> for Args<'_> {
    type Output = [u8];
    fn index(&self, i: usize) -> &[u8] {
        self.get(i)
    }
}
