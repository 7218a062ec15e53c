//! shoal: a Redis-compatible in-memory cache server.
