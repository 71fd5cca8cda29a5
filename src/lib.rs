//! crm-profiles: a self-hosted, wire-compatible implementation of Zoho CRM's profiles API.
//!
//! The crate is split by layer so that each can be read on its own:
//!
//! - [`domain`]: the Zoho semantics (profiles, the permission catalogue, names, scopes, ids,
//!   limits). It knows nothing of HTTP or SQL.
//! - [`store`]: one storage interface and its SQLite implementation.
//! - [`http`]: the REST surface, following Zoho's URL tree, with one error type rendered in
//!   Zoho's wire format.
//! - [`app`]: start-up glue shared by the `serve` and `token` commands.

pub mod app;
pub mod config;
pub mod domain;
pub mod http;
pub mod store;
