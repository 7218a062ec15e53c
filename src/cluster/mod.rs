//! Cluster mode: slots, the topology agreed through consensus, the cluster bus.
//!
//! - [`topology`]: the replicated state (members, slot owners, epochs, migration states) and the
//!   changes the CLUSTER commands propose.

pub mod topology;
