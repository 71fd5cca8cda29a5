//! Zoho CRM's profile semantics, free of HTTP and storage concerns.

pub mod catalogue;
pub mod clock;
pub mod ids;
pub mod names;
pub mod oauth;
pub mod permissions;
pub mod profile;
pub mod scope;
pub mod seed;
pub mod token;
pub mod user;
