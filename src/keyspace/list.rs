//! The list type. Owner: the lists family (`commands/lists.rs`).

use std::collections::VecDeque;

/// A list of byte strings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct List {
    pub items: VecDeque<Box<[u8]>>,
}

impl List {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// OBJECT ENCODING: Redis 7.0 reports every list as `quicklist`.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }
}
