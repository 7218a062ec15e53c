//! The lists command family (in progress).

use super::table::Command;

pub static COMMANDS: &[Command] = &[];
