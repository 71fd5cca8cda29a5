//! Storage behind one interface.
//!
//! Every rule that depends on the state of an org (the profile limit, unique names) is enforced
//! inside one transaction of the implementation, so it holds under any concurrency. The domain
//! decides what to ask; the store makes the answer atomic.

pub mod postgres;
pub mod sqlite;

use async_trait::async_trait;

use crate::domain::clock::UnixTime;
use crate::domain::profile::{
    Caller, CloneRefusal, CloneRequest, DeleteRefusal, Org, Profile, ProfileDeletion,
    ProfileUpdate, UpdateRefusal,
};
use crate::domain::seed::OrgSeed;
use crate::domain::token::TokenDigest;
use crate::domain::user::{NewUser, User, UserRefusal, UserUpdate};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// Whether the write broke a uniqueness rule of the schema (a name taken meanwhile).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(error) => {
                error.as_database_error().is_some_and(|e| e.is_unique_violation())
            }
            _ => false,
        }
    }
}

/// Picks an `api_name` not yet used in the org: the base, then `base_2`, `base_3`, …
fn unique_api_name(base: &str, taken: &std::collections::HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}_{n}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_default()
}

/// Connection settings of a store; the SQLite store uses them for its readers only.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// Longest a statement may run before the database cancels it (PostgreSQL).
    pub statement_timeout: std::time::Duration,
    /// Longest a request waits for a free connection; past it the request fails, and /health
    /// reports the database as unavailable.
    pub acquire_timeout: std::time::Duration,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            statement_timeout: std::time::Duration::from_secs(10),
            acquire_timeout: std::time::Duration::from_secs(5),
        }
    }
}

/// An org just created, with the ids of its seeded profiles and users in seed order.
#[derive(Debug, Clone)]
pub struct CreatedOrg {
    pub org: Org,
    pub profile_ids: Vec<i64>,
    pub user_ids: Vec<i64>,
    pub role_ids: Vec<i64>,
}

/// A user found by email, with enough of its org to choose between orgs.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub email: String,
}

pub struct NewToken {
    pub digest: TokenDigest,
    pub org_id: i64,
    pub user_id: i64,
    pub scopes: Vec<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// The refresh token this access token was minted from, if any.
    pub refresh_digest: Option<TokenDigest>,
}

/// An OAuth client; only the digest of its secret is kept.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub client_id: String,
    pub org_id: i64,
    pub secret_digest: TokenDigest,
}

/// What a grant code or a refresh token grants.
#[derive(Debug, Clone)]
pub struct GrantRecord {
    pub client_id: String,
    pub org_id: i64,
    pub user_id: i64,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRefusal {
    /// Unknown or revoked.
    Unknown,
    /// More access tokens asked for in the current window than the limits allow.
    Throttled,
}

/// What a stored token grants, whether or not it has expired.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub caller: Caller,
    pub expires_at: UnixTime,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers once the database can serve a query.
    async fn ping(&self) -> Result<()>;

    /// Creates the org of `seed` if the database holds no org yet; `None` when it already did.
    async fn seed_if_empty(&self, seed: &OrgSeed, now: UnixTime) -> Result<Option<CreatedOrg>>;

    /// Creates an org with its system profiles, roles and first users.
    async fn create_org(&self, seed: &OrgSeed, now: UnixTime) -> Result<CreatedOrg>;

    /// An org by id or by name (ignoring case).
    async fn find_org(&self, id_or_name: &str) -> Result<Option<Org>>;

    async fn insert_client(&self, client: &ClientRecord, name: &str, now: UnixTime) -> Result<()>;

    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>>;

    async fn insert_grant_code(
        &self,
        digest: TokenDigest,
        grant: &GrantRecord,
        expires_at: UnixTime,
    ) -> Result<()>;

    /// Deletes the code and returns what it granted if it existed and had not expired: a code
    /// works once, whoever asks first.
    async fn consume_grant_code(
        &self,
        digest: &TokenDigest,
        now: UnixTime,
    ) -> Result<Option<GrantRecord>>;

    /// Stores a refresh token and its first access token together.
    async fn insert_refresh_token(
        &self,
        digest: TokenDigest,
        grant: &GrantRecord,
        first_access: NewToken,
    ) -> Result<()>;

    async fn refresh_grant(&self, digest: &TokenDigest) -> Result<Option<GrantRecord>>;

    /// Mints an access token from a refresh token within `limits`, ending the oldest live
    /// access tokens of that refresh token beyond the allowed number.
    async fn mint_from_refresh(
        &self,
        access: NewToken,
        limits: crate::domain::oauth::TokenLimits,
    ) -> Result<std::result::Result<(), RefreshRefusal>>;

    /// Ends a refresh token (and every access token minted from it) or an access token.
    /// Returns whether the token existed.
    async fn revoke(&self, digest: &TokenDigest) -> Result<bool>;

    /// The org's primary contact, who acts for client-credentials tokens.
    async fn primary_user(&self, org_id: i64) -> Result<Option<i64>>;

    async fn users_by_email(&self, email: &str) -> Result<Vec<UserRecord>>;

    async fn insert_token(&self, token: NewToken) -> Result<()>;

    async fn token_grant(&self, digest: &TokenDigest) -> Result<Option<TokenGrant>>;

    /// The org's profiles in creation order, without their permissions.
    async fn list_profiles(&self, org: &Org) -> Result<Vec<Profile>>;

    async fn get_profile(&self, org: &Org, id: i64) -> Result<Option<Profile>>;

    /// Creates a copy of the source profile under a new name, atomically with the checks of
    /// the limit and of unique names. Returns the new profile's id.
    async fn clone_profile(
        &self,
        org: &Org,
        request: CloneRequest,
    ) -> Result<std::result::Result<i64, CloneRefusal>>;

    /// Applies an update as a whole or not at all; the permission rules run on the state read
    /// inside the transaction.
    async fn update_profile(
        &self,
        org: &Org,
        update: ProfileUpdate,
    ) -> Result<std::result::Result<(), UpdateRefusal>>;

    /// Moves the profile's users to `transfer_to` and deletes the profile, in one transaction.
    /// Returns how many users moved.
    async fn delete_profile(
        &self,
        org: &Org,
        deletion: ProfileDeletion,
    ) -> Result<std::result::Result<u64, DeleteRefusal>>;

    /// When the org's list of profiles last changed (a clone, update or delete), for
    /// `If-Modified-Since`.
    async fn profiles_changed_at(&self, org: &Org) -> Result<UnixTime>;

    /// The org's users in creation order.
    async fn list_users(&self, org: &Org) -> Result<Vec<User>>;

    async fn get_user(&self, org: &Org, id: i64) -> Result<Option<User>>;

    /// Adds a user holding a profile and a role of the org. Returns the new user's id.
    async fn create_user(
        &self,
        org: &Org,
        user: NewUser,
    ) -> Result<std::result::Result<i64, UserRefusal>>;

    /// Changes a user; a new profile must be a profile of the org at the moment of the write.
    async fn update_user(
        &self,
        org: &Org,
        update: UserUpdate,
    ) -> Result<std::result::Result<(), UserRefusal>>;
}
