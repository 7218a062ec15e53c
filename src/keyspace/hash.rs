//! The hash type. Owner: the hashes family (`commands/hashes.rs`).

/// One field and its value.
pub type Field = (Box<[u8]>, Box<[u8]>);

/// A hash of fields to values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hash {
    pub fields: Vec<Field>,
}

impl Hash {
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }
}
