//! Orgs, users and profiles as the rest of the server sees them.

use super::catalogue::{PermissionSet, catalogue};
use super::clock::UnixTime;
use super::names::ProfileName;

/// How many profiles an org may hold, system profiles included, unless the org says otherwise.
pub const DEFAULT_PROFILE_LIMIT: i64 = 25;

#[derive(Debug, Clone)]
pub struct Org {
    pub id: i64,
    /// The 7-digit prefix of every id in this org.
    pub prefix: i64,
    pub name: String,
    pub profile_limit: i64,
    /// The org's time zone as an offset from UTC; times are rendered in it.
    pub utc_offset_minutes: i32,
}

/// A user as shown in `created_by` / `modified_by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub id: i64,
    pub name: String,
    pub api_name: String,
    pub description: Option<String>,
    /// `false` for the system profiles Administrator and Standard.
    pub custom: bool,
    pub permissions: PermissionSet,
    pub created_by: Option<UserRef>,
    pub modified_by: Option<UserRef>,
    pub created_at: Option<UnixTime>,
    pub modified_at: Option<UnixTime>,
}

/// The authenticated user behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub org: Org,
    pub user: UserRef,
    pub profile_id: i64,
    pub permissions: PermissionSet,
    pub scopes: Vec<String>,
    /// A loggable id of the token used, never the token itself.
    pub token_log_id: String,
}

impl Caller {
    /// Whether the caller's profile holds `name` in effect (with every parent enabled).
    pub fn has_permission(&self, name: &str) -> bool {
        let catalogue = catalogue();
        catalogue.index_of(name).is_some_and(|i| catalogue.is_in_effect(&self.permissions, i))
    }
}

/// What a clone asks for once its body passed validation.
#[derive(Debug, Clone)]
pub struct CloneRequest {
    pub source_id: i64,
    pub name: ProfileName,
    pub description: Option<String>,
    pub by: UserRef,
    pub at: UnixTime,
}

/// Why a clone was refused by the rules that need the org's current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloneRefusal {
    /// The source id names no profile of the caller's org.
    SourceNotFound,
    /// The org already holds its limit of profiles.
    LimitReached { limit: i64 },
    /// Another profile of the org has the same name, ignoring case.
    DuplicateName { existing_id: i64 },
}

/// What an update asks for once its body passed validation. `None` leaves a field as it is;
/// `description: Some(None)` clears the description.
#[derive(Debug, Clone)]
pub struct ProfileUpdate {
    pub id: i64,
    pub name: Option<ProfileName>,
    pub description: Option<Option<String>>,
    pub permissions: Vec<super::permissions::PermissionChange>,
    pub by: UserRef,
    pub at: UnixTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateRefusal {
    NotFound,
    /// Administrator and Standard never change.
    SystemProfile,
    DuplicateName {
        existing_id: i64,
    },
    Permission(super::permissions::PermissionRefusal),
}

/// A delete that moves the profile's users to `transfer_to` first.
#[derive(Debug, Clone)]
pub struct ProfileDeletion {
    pub id: i64,
    pub transfer_to: i64,
    pub at: UnixTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteRefusal {
    NotFound,
    SystemProfile,
    /// `transfer_to` is the profile being deleted or names no profile of the org.
    InvalidTransferTarget,
}
