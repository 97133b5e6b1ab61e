//! STUB by the lead — see the crate docs; implemented by the helper that owns this module.
