//! keyward: a desktop vault for API keys.
//!
//! - [`vault`]: the domain (entries, credentials, IP rules, policy); pure, given `now`.
//! - [`store`]: the encrypted file (format, KDF, atomic save, lock, change detection).
//! - [`secret`]: the types that hold secrets; [`memlock`] locks their memory in RAM.
//! - [`cli`]: the command line, a thin layer over the above.
//! - [`clipboard`]: the timed clipboard (clear after N seconds if unchanged).
//! - [`app`]: the desktop app (eframe/egui).
#![forbid(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

#[cfg(feature = "gui")]
pub mod app;
pub mod calendar;
pub mod cli;
pub mod clipboard;
pub mod exec;
pub mod inject;
pub mod keys;
pub mod memlock;
pub mod mount;
pub mod platform;
pub mod presets;
pub mod scan;
pub mod secret;
pub mod store;
pub mod transfer;
pub mod vault;
