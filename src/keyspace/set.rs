//! The set type. Owner: the sets family (`commands/sets.rs`).

/// A set of byte strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Set {
    pub members: Vec<Box<[u8]>>,
}

impl Set {
    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }
}
