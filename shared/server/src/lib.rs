//! The local all-in-one process.
