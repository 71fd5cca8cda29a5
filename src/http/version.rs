//! The API versions served, each with its own response shape.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;

/// `v2`, `v2.1`, `v3` … `v8`, in order, so that shapes can be compared with `>=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    V2,
    V2_1,
    V3,
    V4,
    V5,
    V6,
    V7,
    V8,
}

impl Version {
    pub fn parse(segment: &str) -> Option<Self> {
        Some(match segment {
            "v2" => Version::V2,
            "v2.1" => Version::V2_1,
            "v3" => Version::V3,
            "v4" => Version::V4,
            "v5" => Version::V5,
            "v6" => Version::V6,
            "v7" => Version::V7,
            "v8" => Version::V8,
            _ => return None,
        })
    }

    /// The version named by a `/crm/{version}/…` path, if it is one this server serves.
    pub fn of_path(path: &str) -> Option<Self> {
        let mut segments = path.trim_start_matches('/').split('/');
        match (segments.next(), segments.next()) {
            (Some("crm"), Some(version)) => Self::parse(version),
            _ => None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Version {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Version::of_path(parts.uri.path()).ok_or_else(ApiError::invalid_url_pattern)
    }
}
