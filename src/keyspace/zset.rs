//! The sorted set type. Owner: the sorted sets family (`commands/zsets.rs`).

/// A sorted set of members with scores.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZSet {
    pub entries: Vec<(f64, Box<[u8]>)>,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }
}
