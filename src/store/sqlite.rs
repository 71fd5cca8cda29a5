//! The SQLite store: the embedded default.
//!
//! WAL mode with `synchronous = FULL`: a commit is on disk before it is acknowledged, so a crash
//! of the process or of the machine loses nothing that was answered with success. Writes go
//! through a pool of one connection and start with `BEGIN IMMEDIATE`, which takes SQLite's write
//! lock up front: a transaction that reads, decides and writes (a clone checking the limit) can
//! never be overtaken by another writer, in this process or in another one such as the `token`
//! command. Reads use their own pool and run beside writes.

use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Connection, Row, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::{
    ClientRecord, CreatedOrg, GrantRecord, NewToken, RefreshRefusal, Result, Store, StoreError,
    TokenGrant, UserRecord, unique_api_name,
};
use crate::domain::catalogue::{PermissionSet, catalogue};
use crate::domain::clock::UnixTime;
use crate::domain::ids;
use crate::domain::oauth::TokenLimits;
use crate::domain::permissions;
use crate::domain::profile::{
    Caller, CloneRefusal, CloneRequest, DeleteRefusal, Org, Profile, ProfileDeletion,
    ProfileUpdate, UpdateRefusal, UserRef,
};
use crate::domain::seed::OrgSeed;
use crate::domain::token::{self, TokenDigest};
use crate::domain::user::{NamedRef, NewUser, User, UserRefusal, UserUpdate};

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const READ_CONNECTIONS: u32 = 4;

/// Most writes committed together in one transaction (one disk flush).
const MAX_BATCH: usize = 256;

/// One write waiting for the writer: it runs inside the batch's transaction and hands back what
/// to answer once the batch's commit is known.
type Job = Box<
    dyn for<'c> FnOnce(
            &'c mut SqliteConnection,
        ) -> BoxFuture<'c, Box<dyn FnOnce(Result<()>) + Send>>
        + Send,
>;

#[derive(Clone)]
pub struct SqliteStore {
    reader: SqlitePool,
    jobs: mpsc::Sender<Job>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and applies pending migrations.
    ///
    /// `url` is `sqlite://PATH`, `sqlite:PATH` or a plain file path.
    pub async fn open(url: &str) -> Result<Self> {
        let url =
            if url.starts_with("sqlite:") { url.to_owned() } else { format!("sqlite://{url}") };
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let mut writer = SqliteConnection::connect_with(&options).await?;
        sqlx::migrate!("migrations/sqlite").run(&mut writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .connect_with(options.read_only(true))
            .await?;
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        // The writer runs on a thread of its own. Each write is a chain of statements, each a
        // round trip to the connection's SQLite thread; on the shared runtime every link of the
        // chain also waited behind HTTP tasks, which cut durable clones per second by about a
        // third under load (see BENCHMARKS.md).
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(runtime) => runtime.block_on(run_writer(writer, queue)),
                    Err(error) => tracing::error!(%error, "the SQLite writer could not start"),
                }
            })
            .map_err(sqlx::Error::Io)?;
        Ok(Self { reader, jobs })
    }

    /// Runs `work` as one atomic write and answers once it is durable.
    ///
    /// Writes go to a single writer task, which takes every write waiting at that moment and
    /// commits them together in one `BEGIN IMMEDIATE` transaction, each inside a savepoint of its
    /// own: a write that fails rolls back alone, the others commit, and all of them share one
    /// disk flush. No answer leaves before the commit that holds its write, so acknowledged
    /// writes survive a crash; and since the writer owns the work, a client that hangs up
    /// cannot cancel a write half-way.
    async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut SqliteConnection) -> BoxFuture<'t, Result<T>> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<T>>();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                let outcome = run_in_savepoint(conn, work).await;
                let finish: Box<dyn FnOnce(Result<()>) + Send> = Box::new(move |committed| {
                    let _ = answer.send(committed.and(outcome));
                });
                finish
            })
        });
        self.jobs.send(job).await.map_err(|_| StoreError::Corrupt("the writer stopped".into()))?;
        answered.await.map_err(|_| StoreError::Corrupt("the writer dropped a write".into()))?
    }
}

/// Runs one write in a savepoint of the batch's transaction, rolled back if it fails.
async fn run_in_savepoint<T, F>(conn: &mut SqliteConnection, work: F) -> Result<T>
where
    F: for<'t> FnOnce(&'t mut SqliteConnection) -> BoxFuture<'t, Result<T>>,
{
    let mut savepoint = conn.begin().await?;
    match work(&mut savepoint).await {
        Ok(value) => {
            savepoint.commit().await?;
            Ok(value)
        }
        Err(error) => {
            savepoint.rollback().await?;
            Err(error)
        }
    }
}

/// The writer task: batches of waiting writes, one transaction and one flush per batch.
async fn run_writer(mut conn: SqliteConnection, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let size = batch.len();
        let (finishers, committed) = commit_batch(&mut conn, &mut batch).await;
        if let Err(error) = &committed {
            tracing::error!(%error, writes = size, "a batch of writes failed to commit");
        }
        for finish in finishers {
            finish(committed.clone().map_err(StoreError::Corrupt));
        }
        // Writes that could not run (the batch could not begin) drop their answer channel,
        // which their callers see as a failed write.
        batch.clear();
    }
}

/// Runs every job of `batch` in one transaction and commits it; returns each job's finisher
/// and whether the commit happened.
async fn commit_batch(
    conn: &mut SqliteConnection,
    batch: &mut Vec<Job>,
) -> (Vec<Box<dyn FnOnce(Result<()>) + Send>>, std::result::Result<(), String>) {
    let mut finishers = Vec::with_capacity(batch.len());
    let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(error) => return (finishers, Err(error.to_string())),
    };
    for job in batch.drain(..) {
        finishers.push(job(&mut tx).await);
    }
    let committed = tx.commit().await.map_err(|error| error.to_string());
    (finishers, committed)
}

const PROFILE_COLUMNS: &str = "p.id, p.name, p.api_name, p.description, p.custom, \
    p.created_by, p.modified_by, p.created_at, p.modified_at, \
    TRIM(COALESCE(cu.first_name, '') || ' ' || cu.last_name) AS created_by_name, \
    TRIM(COALESCE(mu.first_name, '') || ' ' || mu.last_name) AS modified_by_name";
const PROFILE_JOINS: &str = "FROM profiles p \
    LEFT JOIN users cu ON cu.id = p.created_by \
    LEFT JOIN users mu ON mu.id = p.modified_by";

fn user_ref(row: &SqliteRow, id_column: &str, name_column: &str) -> Option<UserRef> {
    let id: Option<i64> = row.get(id_column);
    let name: Option<String> = row.get(name_column);
    Some(UserRef { id: id?, name: name? })
}

fn profile_from_row(row: &SqliteRow, permissions: PermissionSet) -> Profile {
    Profile {
        id: row.get("id"),
        name: row.get("name"),
        api_name: row.get("api_name"),
        description: row.get("description"),
        custom: row.get("custom"),
        permissions,
        created_by: user_ref(row, "created_by", "created_by_name"),
        modified_by: user_ref(row, "modified_by", "modified_by_name"),
        created_at: row.get("created_at"),
        modified_at: row.get("modified_at"),
    }
}

const USER_SELECT: &str = "SELECT u.id, u.email, u.first_name, u.last_name, \
    u.profile_id, p.name AS profile_name, \
    (p.custom = 0 AND p.api_name = 'Administrator') AS is_admin, \
    u.role_id, r.name AS role_name, u.status, u.confirmed, u.created_at, u.modified_at, \
    u.created_by, TRIM(COALESCE(cu.first_name, '') || ' ' || cu.last_name) AS created_by_name, \
    u.modified_by, TRIM(COALESCE(mu.first_name, '') || ' ' || mu.last_name) AS modified_by_name \
    FROM users u \
    JOIN profiles p ON p.id = u.profile_id \
    JOIN roles r ON r.id = u.role_id \
    LEFT JOIN users cu ON cu.id = u.created_by \
    LEFT JOIN users mu ON mu.id = u.modified_by";

fn user_from_row(row: &SqliteRow) -> User {
    let status: String = row.get("status");
    User {
        id: row.get("id"),
        email: row.get("email"),
        first_name: row.get("first_name"),
        last_name: row.get("last_name"),
        profile: NamedRef { id: row.get("profile_id"), name: row.get("profile_name") },
        role: NamedRef { id: row.get("role_id"), name: row.get("role_name") },
        is_admin: row.get("is_admin"),
        active: status == "active",
        confirmed: row.get("confirmed"),
        created_by: user_ref(row, "created_by", "created_by_name"),
        created_at: row.get("created_at"),
        modified_by: user_ref(row, "modified_by", "modified_by_name"),
        modified_at: row.get("modified_at"),
    }
}

/// Whether `id` names a row of `table` in the org, read inside `tx`.
async fn exists_in_org(
    tx: &mut SqliteConnection,
    table: &'static str,
    org_id: i64,
    id: i64,
) -> Result<bool> {
    let sql = match table {
        "profiles" => "SELECT 1 FROM profiles WHERE id = ? AND org_id = ?",
        "roles" => "SELECT 1 FROM roles WHERE id = ? AND org_id = ?",
        _ => "SELECT 1 FROM users WHERE id = ? AND org_id = ?",
    };
    let found: Option<i64> =
        sqlx::query_scalar(sql).bind(id).bind(org_id).fetch_optional(&mut *tx).await?;
    Ok(found.is_some())
}

async fn create_user_in(
    tx: &mut SqliteConnection,
    org: &Org,
    user: &NewUser,
) -> Result<std::result::Result<i64, UserRefusal>> {
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE org_id = ? AND lower(email) = lower(?)")
            .bind(org.id)
            .bind(&user.email)
            .fetch_optional(&mut *tx)
            .await?;
    if taken.is_some() {
        return Ok(Err(UserRefusal::DuplicateEmail));
    }
    if !exists_in_org(tx, "profiles", org.id, user.profile_id).await? {
        return Ok(Err(UserRefusal::ProfileNotFound));
    }
    if !exists_in_org(tx, "roles", org.id, user.role_id).await? {
        return Ok(Err(UserRefusal::RoleNotFound));
    }

    let local: i64 = sqlx::query_scalar(
        "UPDATE orgs SET next_local = next_local + 1 WHERE id = ? RETURNING next_local - 1",
    )
    .bind(org.id)
    .fetch_one(&mut *tx)
    .await?;
    let id = ids::entity_id(org.prefix, local);
    sqlx::query(
        "INSERT INTO users (id, org_id, email, first_name, last_name, profile_id, role_id, \
         created_by, created_at, modified_by, modified_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(org.id)
    .bind(&user.email)
    .bind(&user.first_name)
    .bind(&user.last_name)
    .bind(user.profile_id)
    .bind(user.role_id)
    .bind(user.by.id)
    .bind(user.at)
    .bind(user.by.id)
    .bind(user.at)
    .execute(&mut *tx)
    .await?;
    Ok(Ok(id))
}

async fn update_user_in(
    tx: &mut SqliteConnection,
    org: &Org,
    update: &UserUpdate,
) -> Result<std::result::Result<(), UserRefusal>> {
    let current: Option<(i64, String)> =
        sqlx::query_as("SELECT profile_id, email FROM users WHERE id = ? AND org_id = ?")
            .bind(update.id)
            .bind(org.id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((current_profile, current_email)) = current else {
        return Ok(Err(UserRefusal::NotFound));
    };
    if update.email.as_ref().is_some_and(|email| !email.eq_ignore_ascii_case(&current_email)) {
        return Ok(Err(UserRefusal::EmailChange));
    }
    if let Some(profile_id) = update.profile_id {
        if !exists_in_org(tx, "profiles", org.id, profile_id).await? {
            return Ok(Err(UserRefusal::ProfileNotFound));
        }
        let primary: Option<i64> =
            sqlx::query_scalar("SELECT primary_user_id FROM orgs WHERE id = ?")
                .bind(org.id)
                .fetch_one(&mut *tx)
                .await?;
        if primary == Some(update.id) && profile_id != current_profile {
            return Ok(Err(UserRefusal::PrimaryContactProfile));
        }
    }
    if let Some(role_id) = update.role_id
        && !exists_in_org(tx, "roles", org.id, role_id).await?
    {
        return Ok(Err(UserRefusal::RoleNotFound));
    }

    sqlx::query(
        "UPDATE users SET profile_id = COALESCE(?, profile_id), role_id = COALESCE(?, role_id), \
         first_name = CASE WHEN ? THEN ? ELSE first_name END, \
         last_name = COALESCE(?, last_name), modified_by = ?, modified_at = ? WHERE id = ?",
    )
    .bind(update.profile_id)
    .bind(update.role_id)
    .bind(update.first_name.is_some())
    .bind(update.first_name.clone().flatten())
    .bind(&update.last_name)
    .bind(update.by.id)
    .bind(update.at)
    .bind(update.id)
    .execute(&mut *tx)
    .await?;
    Ok(Ok(()))
}

async fn insert_access_token(tx: &mut SqliteConnection, token: &NewToken) -> Result<()> {
    sqlx::query(
        "INSERT INTO access_tokens (digest, org_id, user_id, scopes, created_at, expires_at, \
         refresh_digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&token.digest.0[..])
    .bind(token.org_id)
    .bind(token.user_id)
    .bind(token.scopes.join(" "))
    .bind(token.created_at)
    .bind(token.expires_at)
    .bind(token.refresh_digest.as_ref().map(|d| d.0.to_vec()))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn mint_from_refresh_in(
    tx: &mut SqliteConnection,
    access: &NewToken,
    limits: TokenLimits,
) -> Result<std::result::Result<(), RefreshRefusal>> {
    let Some(refresh) = access.refresh_digest else {
        return Ok(Err(RefreshRefusal::Unknown));
    };
    let key = &refresh.0[..];
    let window =
        sqlx::query("SELECT window_start, window_count FROM refresh_tokens WHERE digest = ?")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(window) = window else {
        return Ok(Err(RefreshRefusal::Unknown));
    };
    let (start, count): (i64, i64) = (window.get("window_start"), window.get("window_count"));
    let (start, count) = if access.created_at - start >= limits.window_secs {
        (access.created_at, 0)
    } else {
        (start, count)
    };
    if count >= limits.refreshes_per_window {
        return Ok(Err(RefreshRefusal::Throttled));
    }
    sqlx::query("UPDATE refresh_tokens SET window_start = ?, window_count = ? WHERE digest = ?")
        .bind(start)
        .bind(count + 1)
        .bind(key)
        .execute(&mut *tx)
        .await?;
    insert_access_token(tx, access).await?;
    // Beyond the allowed number of live tokens, the oldest end, as Zoho's do.
    sqlx::query(
        "DELETE FROM access_tokens WHERE refresh_digest = ? AND digest NOT IN (\
         SELECT digest FROM access_tokens WHERE refresh_digest = ? \
         ORDER BY created_at DESC, rowid DESC LIMIT ?)",
    )
    .bind(key)
    .bind(key)
    .bind(limits.access_tokens_per_refresh)
    .execute(&mut *tx)
    .await?;
    Ok(Ok(()))
}

fn grant_from_row(row: &SqliteRow) -> GrantRecord {
    let scopes: String = row.get("scopes");
    GrantRecord {
        client_id: row.get("client_id"),
        org_id: row.get("org_id"),
        user_id: row.get("user_id"),
        scopes: scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    }
}

fn digest_column(row: &SqliteRow, column: &str) -> Result<TokenDigest> {
    let bytes: Vec<u8> = row.get(column);
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{column} is not a SHA-256 digest")))?;
    Ok(TokenDigest(array))
}

fn org_from_row(row: &SqliteRow) -> Org {
    Org {
        id: row.get("org_id"),
        prefix: row.get("prefix"),
        name: row.get("org_name"),
        profile_limit: row.get("profile_limit"),
        utc_offset_minutes: row.get("utc_offset_minutes"),
    }
}

async fn insert_org(
    tx: &mut SqliteConnection,
    seed: &OrgSeed,
    now: UnixTime,
) -> Result<CreatedOrg> {
    // Prefixes are drawn at random; a collision with an existing org is retried.
    let mut prefix = ids::random_org_prefix();
    for _ in 0..20 {
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE prefix = ?")
            .bind(prefix)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_none() {
            break;
        }
        prefix = ids::random_org_prefix();
    }
    let org = Org {
        id: ids::org_id(prefix),
        prefix,
        name: seed.name.clone(),
        profile_limit: seed.profile_limit,
        utc_offset_minutes: 0,
    };
    let profile_ids: Vec<i64> = (0..seed.profiles.len())
        .map(|i| ids::entity_id(prefix, ids::FIRST_ENTITY_LOCAL + i as i64))
        .collect();
    let first_user_local = ids::FIRST_ENTITY_LOCAL + seed.profiles.len() as i64;
    let user_ids: Vec<i64> = (0..seed.users.len())
        .map(|i| ids::entity_id(prefix, first_user_local + i as i64))
        .collect();
    let first_role_local = first_user_local + seed.users.len() as i64;
    let role_ids: Vec<i64> = (0..seed.roles.len())
        .map(|i| ids::entity_id(prefix, first_role_local + i as i64))
        .collect();
    let next_local = first_role_local + seed.roles.len() as i64;

    sqlx::query(
        "INSERT INTO orgs (id, prefix, name, profile_limit, utc_offset_minutes, next_local, \
         created_at, profiles_changed_at, primary_user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(org.id)
    .bind(prefix)
    .bind(&org.name)
    .bind(org.profile_limit)
    .bind(org.utc_offset_minutes)
    .bind(next_local)
    .bind(now)
    .bind(now)
    .bind(user_ids.first())
    .execute(&mut *tx)
    .await?;

    for (name, id) in seed.roles.iter().zip(&role_ids) {
        sqlx::query("INSERT INTO roles (id, org_id, name) VALUES (?, ?, ?)")
            .bind(id)
            .bind(org.id)
            .bind(name)
            .execute(&mut *tx)
            .await?;
    }

    // System profiles have no creator; their last modifier is the org's first user.
    let modified_by = user_ids.first().copied();
    for (profile, id) in seed.profiles.iter().zip(&profile_ids) {
        sqlx::query(
            "INSERT INTO profiles (id, org_id, name, name_key, api_name, description, custom, \
             permissions, created_by, modified_by, created_at, modified_at) \
             VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL, ?, NULL, ?)",
        )
        .bind(id)
        .bind(org.id)
        .bind(profile.name)
        .bind(crate::domain::names::name_key(profile.name))
        .bind(profile.api_name)
        .bind(profile.description)
        .bind(profile.permissions.as_bytes())
        .bind(modified_by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for (user, id) in seed.users.iter().zip(&user_ids) {
        sqlx::query(
            "INSERT INTO users (id, org_id, email, first_name, last_name, profile_id, role_id, \
             created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(org.id)
        .bind(&user.email)
        .bind(&user.first_name)
        .bind(&user.last_name)
        .bind(profile_ids[user.profile])
        .bind(role_ids[user.role])
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    Ok(CreatedOrg { org, profile_ids, user_ids, role_ids })
}

async fn clone_in(
    tx: &mut SqliteConnection,
    org: &Org,
    request: &CloneRequest,
) -> Result<std::result::Result<i64, CloneRefusal>> {
    let source: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT permissions FROM profiles WHERE id = ? AND org_id = ?")
            .bind(request.source_id)
            .bind(org.id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(permissions) = source else {
        return Ok(Err(CloneRefusal::SourceNotFound));
    };

    let limit: i64 = sqlx::query_scalar("SELECT profile_limit FROM orgs WHERE id = ?")
        .bind(org.id)
        .fetch_one(&mut *tx)
        .await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM profiles WHERE org_id = ?")
        .bind(org.id)
        .fetch_one(&mut *tx)
        .await?;
    if count >= limit {
        return Ok(Err(CloneRefusal::LimitReached { limit }));
    }

    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM profiles WHERE org_id = ? AND name_key = ?")
            .bind(org.id)
            .bind(request.name.key())
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(existing_id) = existing {
        return Ok(Err(CloneRefusal::DuplicateName { existing_id }));
    }

    let taken: HashSet<String> =
        sqlx::query_scalar::<_, String>("SELECT api_name FROM profiles WHERE org_id = ?")
            .bind(org.id)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let api_name = unique_api_name(&request.name.api_name_base(), &taken);

    let local: i64 = sqlx::query_scalar(
        "UPDATE orgs SET next_local = next_local + 1 WHERE id = ? RETURNING next_local - 1",
    )
    .bind(org.id)
    .fetch_one(&mut *tx)
    .await?;
    let id = ids::entity_id(org.prefix, local);
    sqlx::query(
        "INSERT INTO profiles (id, org_id, name, name_key, api_name, description, custom, \
         permissions, created_by, modified_by, created_at, modified_at) \
         VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(org.id)
    .bind(request.name.as_str())
    .bind(request.name.key())
    .bind(&api_name)
    .bind(&request.description)
    .bind(&permissions)
    .bind(request.by.id)
    .bind(request.by.id)
    .bind(request.at)
    .bind(request.at)
    .execute(&mut *tx)
    .await?;
    mark_profiles_changed(tx, org.id, request.at).await?;
    Ok(Ok(id))
}

async fn mark_profiles_changed(tx: &mut SqliteConnection, org_id: i64, at: UnixTime) -> Result<()> {
    sqlx::query("UPDATE orgs SET profiles_changed_at = MAX(profiles_changed_at, ?) WHERE id = ?")
        .bind(at)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The stored permissions and `custom` flag of a profile of the org, read inside `tx`.
async fn profile_state(
    tx: &mut SqliteConnection,
    org_id: i64,
    id: i64,
) -> Result<Option<(bool, PermissionSet)>> {
    let row = sqlx::query("SELECT custom, permissions FROM profiles WHERE id = ? AND org_id = ?")
        .bind(id)
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(row.map(|row| {
        let bits: Vec<u8> = row.get("permissions");
        (row.get("custom"), PermissionSet::from_bytes(&bits, catalogue().len()))
    }))
}

async fn update_in(
    tx: &mut SqliteConnection,
    org: &Org,
    update: &ProfileUpdate,
) -> Result<std::result::Result<(), UpdateRefusal>> {
    let Some((custom, current)) = profile_state(tx, org.id, update.id).await? else {
        return Ok(Err(UpdateRefusal::NotFound));
    };
    if !custom {
        return Ok(Err(UpdateRefusal::SystemProfile));
    }
    if let Some(name) = &update.name {
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM profiles WHERE org_id = ? AND name_key = ? AND id <> ?",
        )
        .bind(org.id)
        .bind(name.key())
        .bind(update.id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(existing_id) = existing {
            return Ok(Err(UpdateRefusal::DuplicateName { existing_id }));
        }
    }
    let permissions = match permissions::apply(catalogue(), &current, &update.permissions) {
        Ok(next) => next,
        Err(refusal) => return Ok(Err(UpdateRefusal::Permission(refusal))),
    };

    sqlx::query(
        "UPDATE profiles SET name = COALESCE(?, name), name_key = COALESCE(?, name_key), \
         description = CASE WHEN ? THEN ? ELSE description END, permissions = ?, \
         modified_by = ?, modified_at = ? WHERE id = ?",
    )
    .bind(update.name.as_ref().map(|n| n.as_str()))
    .bind(update.name.as_ref().map(|n| n.key()))
    .bind(update.description.is_some())
    .bind(update.description.clone().flatten())
    .bind(permissions.as_bytes())
    .bind(update.by.id)
    .bind(update.at)
    .bind(update.id)
    .execute(&mut *tx)
    .await?;
    mark_profiles_changed(tx, org.id, update.at).await?;
    Ok(Ok(()))
}

async fn delete_in(
    tx: &mut SqliteConnection,
    org: &Org,
    deletion: &ProfileDeletion,
) -> Result<std::result::Result<u64, DeleteRefusal>> {
    let Some((custom, _)) = profile_state(tx, org.id, deletion.id).await? else {
        return Ok(Err(DeleteRefusal::NotFound));
    };
    if !custom {
        return Ok(Err(DeleteRefusal::SystemProfile));
    }
    let target_exists = deletion.transfer_to != deletion.id
        && profile_state(tx, org.id, deletion.transfer_to).await?.is_some();
    if !target_exists {
        return Ok(Err(DeleteRefusal::InvalidTransferTarget));
    }

    let moved = sqlx::query("UPDATE users SET profile_id = ? WHERE org_id = ? AND profile_id = ?")
        .bind(deletion.transfer_to)
        .bind(org.id)
        .bind(deletion.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM profiles WHERE id = ? AND org_id = ?")
        .bind(deletion.id)
        .bind(org.id)
        .execute(&mut *tx)
        .await?;
    mark_profiles_changed(tx, org.id, deletion.at).await?;
    Ok(Ok(moved))
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn seed_if_empty(&self, seed: &OrgSeed, now: UnixTime) -> Result<Option<CreatedOrg>> {
        let seed = seed.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let any: Option<i64> = sqlx::query_scalar("SELECT id FROM orgs LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
                if any.is_some() {
                    return Ok(None);
                }
                insert_org(tx, &seed, now).await.map(Some)
            })
        })
        .await
    }

    async fn create_org(&self, seed: &OrgSeed, now: UnixTime) -> Result<CreatedOrg> {
        let seed = seed.clone();
        self.write(move |tx| Box::pin(async move { insert_org(tx, &seed, now).await })).await
    }

    async fn users_by_email(&self, email: &str) -> Result<Vec<UserRecord>> {
        let rows = sqlx::query(
            "SELECT u.id, u.org_id, o.name AS org_name, u.email FROM users u \
             JOIN orgs o ON o.id = u.org_id WHERE lower(u.email) = lower(?) ORDER BY u.id",
        )
        .bind(email)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .iter()
            .map(|r| UserRecord {
                id: r.get("id"),
                org_id: r.get("org_id"),
                org_name: r.get("org_name"),
                email: r.get("email"),
            })
            .collect())
    }

    async fn insert_token(&self, token: NewToken) -> Result<()> {
        self.write(move |tx| Box::pin(async move { insert_access_token(tx, &token).await })).await
    }

    async fn find_org(&self, id_or_name: &str) -> Result<Option<Org>> {
        let row = sqlx::query(
            "SELECT id AS org_id, prefix, name AS org_name, profile_limit, utc_offset_minutes \
             FROM orgs WHERE CAST(id AS TEXT) = ? OR lower(name) = lower(?) ORDER BY id LIMIT 1",
        )
        .bind(id_or_name)
        .bind(id_or_name)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.as_ref().map(org_from_row))
    }

    async fn insert_client(&self, client: &ClientRecord, name: &str, now: UnixTime) -> Result<()> {
        let (client, name) = (client.clone(), name.to_owned());
        self.write(move |tx| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO oauth_clients \
                     (client_id, secret_digest, org_id, name, created_at) \
                     VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&client.client_id)
                .bind(&client.secret_digest.0[..])
                .bind(client.org_id)
                .bind(&name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>> {
        let row = sqlx::query(
            "SELECT client_id, org_id, secret_digest FROM oauth_clients WHERE client_id = ?",
        )
        .bind(client_id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|row| {
            Ok(ClientRecord {
                client_id: row.get("client_id"),
                org_id: row.get("org_id"),
                secret_digest: digest_column(&row, "secret_digest")?,
            })
        })
        .transpose()
    }

    async fn insert_grant_code(
        &self,
        digest: TokenDigest,
        grant: &GrantRecord,
        expires_at: UnixTime,
    ) -> Result<()> {
        let grant = grant.clone();
        self.write(move |tx| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO grant_codes (digest, client_id, org_id, user_id, scopes, \
                     expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(&digest.0[..])
                .bind(&grant.client_id)
                .bind(grant.org_id)
                .bind(grant.user_id)
                .bind(grant.scopes.join(" "))
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
                Ok(())
            })
        })
        .await
    }

    async fn consume_grant_code(
        &self,
        digest: &TokenDigest,
        now: UnixTime,
    ) -> Result<Option<GrantRecord>> {
        let digest = *digest;
        self.write(move |tx| {
            Box::pin(async move {
                let row = sqlx::query(
                    "DELETE FROM grant_codes WHERE digest = ? \
                     RETURNING client_id, org_id, user_id, scopes, expires_at",
                )
                .bind(&digest.0[..])
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let expires_at: i64 = row.get("expires_at");
                Ok((expires_at > now).then(|| grant_from_row(&row)))
            })
        })
        .await
    }

    async fn insert_refresh_token(
        &self,
        digest: TokenDigest,
        grant: &GrantRecord,
        first_access: NewToken,
    ) -> Result<()> {
        let grant = grant.clone();
        self.write(move |tx| {
            Box::pin(async move {
                // The window counts access tokens minted *from* the refresh token; the one
                // handed out with it by the code exchange is not one of them.
                sqlx::query(
                    "INSERT INTO refresh_tokens (digest, client_id, org_id, user_id, scopes, \
                     created_at, window_start, window_count) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                )
                .bind(&digest.0[..])
                .bind(&grant.client_id)
                .bind(grant.org_id)
                .bind(grant.user_id)
                .bind(grant.scopes.join(" "))
                .bind(first_access.created_at)
                .bind(first_access.created_at)
                .execute(&mut *tx)
                .await?;
                insert_access_token(tx, &first_access).await
            })
        })
        .await
    }

    async fn refresh_grant(&self, digest: &TokenDigest) -> Result<Option<GrantRecord>> {
        let row = sqlx::query(
            "SELECT client_id, org_id, user_id, scopes FROM refresh_tokens WHERE digest = ?",
        )
        .bind(&digest.0[..])
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.as_ref().map(grant_from_row))
    }

    async fn mint_from_refresh(
        &self,
        access: NewToken,
        limits: TokenLimits,
    ) -> Result<std::result::Result<(), RefreshRefusal>> {
        self.write(move |tx| {
            Box::pin(async move { mint_from_refresh_in(tx, &access, limits).await })
        })
        .await
    }

    async fn revoke(&self, digest: &TokenDigest) -> Result<bool> {
        let digest = *digest;
        self.write(move |tx| {
            Box::pin(async move {
                let key = &digest.0[..];
                let refresh = sqlx::query("DELETE FROM refresh_tokens WHERE digest = ?")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                let access =
                    sqlx::query("DELETE FROM access_tokens WHERE digest = ? OR refresh_digest = ?")
                        .bind(key)
                        .bind(key)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                Ok(refresh + access > 0)
            })
        })
        .await
    }

    async fn primary_user(&self, org_id: i64) -> Result<Option<i64>> {
        let id = sqlx::query_scalar("SELECT primary_user_id FROM orgs WHERE id = ?")
            .bind(org_id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(id.flatten())
    }

    async fn token_grant(&self, digest: &TokenDigest) -> Result<Option<TokenGrant>> {
        let row = sqlx::query(
            "SELECT t.scopes, t.expires_at, u.id AS user_id, \
             TRIM(COALESCE(u.first_name, '') || ' ' || u.last_name) AS user_name, \
             u.profile_id, p.permissions, o.id AS org_id, o.prefix, o.name AS org_name, \
             o.profile_limit, o.utc_offset_minutes \
             FROM access_tokens t \
             JOIN users u ON u.id = t.user_id \
             JOIN profiles p ON p.id = u.profile_id \
             JOIN orgs o ON o.id = t.org_id \
             WHERE t.digest = ?",
        )
        .bind(&digest.0[..])
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let scopes: String = row.get("scopes");
        let permissions: Vec<u8> = row.get("permissions");
        let caller = Caller {
            org: org_from_row(&row),
            user: UserRef { id: row.get("user_id"), name: row.get("user_name") },
            profile_id: row.get("profile_id"),
            permissions: PermissionSet::from_bytes(&permissions, catalogue().len()),
            scopes: scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            token_log_id: token::log_id(digest),
        };
        Ok(Some(TokenGrant { caller, expires_at: row.get("expires_at") }))
    }

    async fn list_profiles(&self, org: &Org) -> Result<Vec<Profile>> {
        let sql =
            format!("SELECT {PROFILE_COLUMNS} {PROFILE_JOINS} WHERE p.org_id = ? ORDER BY p.id");
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org.id).fetch_all(&self.reader).await?;
        let empty = PermissionSet::from_fn(0, |_| false);
        Ok(rows.iter().map(|row| profile_from_row(row, empty.clone())).collect())
    }

    async fn get_profile(&self, org: &Org, id: i64) -> Result<Option<Profile>> {
        let sql = format!(
            "SELECT {PROFILE_COLUMNS}, p.permissions {PROFILE_JOINS} \
             WHERE p.org_id = ? AND p.id = ?"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.id)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(|row| {
            let bits: Vec<u8> = row.get("permissions");
            profile_from_row(&row, PermissionSet::from_bytes(&bits, catalogue().len()))
        }))
    }

    async fn clone_profile(
        &self,
        org: &Org,
        request: CloneRequest,
    ) -> Result<std::result::Result<i64, CloneRefusal>> {
        let org = org.clone();
        self.write(move |tx| Box::pin(async move { clone_in(tx, &org, &request).await })).await
    }

    async fn update_profile(
        &self,
        org: &Org,
        update: ProfileUpdate,
    ) -> Result<std::result::Result<(), UpdateRefusal>> {
        let org = org.clone();
        self.write(move |tx| Box::pin(async move { update_in(tx, &org, &update).await })).await
    }

    async fn delete_profile(
        &self,
        org: &Org,
        deletion: ProfileDeletion,
    ) -> Result<std::result::Result<u64, DeleteRefusal>> {
        let org = org.clone();
        self.write(move |tx| Box::pin(async move { delete_in(tx, &org, &deletion).await })).await
    }

    async fn list_users(&self, org: &Org) -> Result<Vec<User>> {
        let sql = format!("{USER_SELECT} WHERE u.org_id = ? ORDER BY u.id");
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org.id).fetch_all(&self.reader).await?;
        Ok(rows.iter().map(user_from_row).collect())
    }

    async fn get_user(&self, org: &Org, id: i64) -> Result<Option<User>> {
        let sql = format!("{USER_SELECT} WHERE u.org_id = ? AND u.id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.id)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.as_ref().map(user_from_row))
    }

    async fn create_user(
        &self,
        org: &Org,
        user: NewUser,
    ) -> Result<std::result::Result<i64, UserRefusal>> {
        let org = org.clone();
        self.write(move |tx| Box::pin(async move { create_user_in(tx, &org, &user).await })).await
    }

    async fn update_user(
        &self,
        org: &Org,
        update: UserUpdate,
    ) -> Result<std::result::Result<(), UserRefusal>> {
        let org = org.clone();
        self.write(move |tx| Box::pin(async move { update_user_in(tx, &org, &update).await })).await
    }

    async fn profiles_changed_at(&self, org: &Org) -> Result<UnixTime> {
        let at = sqlx::query_scalar("SELECT profiles_changed_at FROM orgs WHERE id = ?")
            .bind(org.id)
            .fetch_one(&self.reader)
            .await?;
        Ok(at)
    }
}
