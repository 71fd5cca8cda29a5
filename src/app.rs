//! Start-up shared by the commands: open the store, seed an empty database, serve, mint tokens.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use tokio::net::TcpListener;

use crate::config::{
    ClientCreateArgs, DEFAULT_DATABASE_URL, GrantArgs, OrgCreateArgs, ServeArgs, TokenArgs,
};
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::oauth::{self, TokenLimits};
use crate::domain::scope;
use crate::domain::seed::{self, STANDARD};
use crate::domain::token;
use crate::http::{self, AppState};
use crate::store::postgres::PgStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{ClientRecord, CreatedOrg, GrantRecord, NewToken, Store, StoreSettings};

/// Opens the database named by `url`, applying migrations, and creates the demo org if the
/// database holds no org yet (returned so that `serve` can say how to use it).
pub async fn open_store(
    url: &str,
    settings: &StoreSettings,
    clock: &dyn Clock,
) -> anyhow::Result<(Arc<dyn Store>, Option<CreatedOrg>)> {
    let store = migrate(url, settings).await?;
    let seeded = store.seed_if_empty(&seed::demo_org(), clock.now()).await?;
    Ok((store, seeded))
}

/// Opens the database for `serve`: migrated, and seeded with the demo org on its first start
/// unless `--no-demo` asks for an empty one.
async fn open_for_serving(
    args: &ServeArgs,
    clock: &dyn Clock,
) -> anyhow::Result<(Arc<dyn Store>, Option<CreatedOrg>)> {
    if args.no_demo {
        return Ok((migrate(&args.database, &args.store_settings()).await?, None));
    }
    open_store(&args.database, &args.store_settings(), clock).await
}

/// Opens a database that must exist already, for the commands that work beside a server
/// (`token`, `client`, `grant`, `org`): an SQLite file is never created by them, so a command run
/// from another directory fails instead of minting tokens into a new database of its own, and
/// they never add the demo org (only `serve` does, on its first start).
pub async fn open_existing_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(path) = sqlite_path(url)
        && !std::path::Path::new(path).exists()
    {
        bail!(
            "there is no database at {path}: start `crm-profiles serve` first (it creates the \
             database), or pass the server's --database"
        );
    }
    migrate(url, &StoreSettings::default()).await
}

/// The file of an SQLite database URL (`sqlite://PATH`, `sqlite:PATH` or a plain path).
fn sqlite_path(url: &str) -> Option<&str> {
    if is_postgres(url) || url.contains(":memory:") {
        return None;
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    Some(path.split('?').next().unwrap_or(path))
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

/// Opens the database named by `url` and applies pending migrations (`crm-profiles migrate`).
pub async fn migrate(url: &str, settings: &StoreSettings) -> anyhow::Result<Arc<dyn Store>> {
    if let Some((scheme, _)) = url.split_once("://")
        && !matches!(scheme, "sqlite" | "postgres" | "postgresql")
    {
        bail!("unsupported database URL scheme {scheme}://; use sqlite:// or postgres://");
    }
    if is_postgres(url) {
        let store = PgStore::open(url, settings).await;
        Ok(Arc::new(store.with_context(|| format!("cannot open database {}", redact_url(url)))?))
    } else {
        let store = SqliteStore::open(url).await;
        Ok(Arc::new(store.with_context(|| format!("cannot open database {}", redact_url(url)))?))
    }
}

/// A database URL fit for messages and logs: any password replaced, whether written as
/// `user:password@host` or as a `password=` parameter.
pub fn redact_url(url: &str) -> String {
    let mut out = match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            match url[scheme_end + 3..at].split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    };
    let mut from = 0;
    while let Some(found) = out[from..].to_ascii_lowercase().find("password=") {
        let start = from + found + "password=".len();
        let end = out[start..].find(['&', ' ']).map_or(out.len(), |n| start + n);
        out.replace_range(start..end, "***");
        from = start + 3;
    }
    out
}

/// A server bound to its sockets, ready to run.
pub struct Bound {
    pub local_addr: SocketAddr,
    /// The accounts-only listener's address, when one was asked for.
    pub accounts_addr: Option<SocketAddr>,
    pub seeded: Option<CreatedOrg>,
    listener: TcpListener,
    accounts_listener: Option<TcpListener>,
    state: AppState,
}

/// Opens the store and binds the listeners; the server is ready once this returns.
pub async fn bind(args: &ServeArgs, clock: Arc<dyn Clock>) -> anyhow::Result<Bound> {
    // Sockets first: a server that cannot listen must not create or seed a database.
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local_addr = listener.local_addr()?;
    let accounts_listener = match args.accounts_listen {
        Some(addr) => Some(
            TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?,
        ),
        None => None,
    };
    let accounts_addr = accounts_listener.as_ref().map(TcpListener::local_addr).transpose()?;
    let (store, seeded) = open_for_serving(args, clock.as_ref()).await?;
    let public_url = args.public_url.clone().unwrap_or_else(|| base_url(local_addr));
    let limits = TokenLimits {
        access_tokens_per_refresh: args.access_tokens_per_refresh,
        refreshes_per_window: args.refreshes_per_window,
        window_secs: args.refresh_window_secs,
        access_token_secs: args.access_token_secs,
    };
    let state = AppState {
        store,
        clock,
        error_style: args.error_style,
        public_url: public_url.trim_end_matches('/').to_owned(),
        limits,
    };
    Ok(Bound { local_addr, accounts_addr, seeded, listener, accounts_listener, state })
}

/// `http://ADDR`, with a wildcard address replaced by the loopback one clients can reach.
fn base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => std::net::Ipv4Addr::LOCALHOST.into(),
        ip if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

impl Bound {
    /// The store the server uses, for tests that arrange state beside the API.
    pub fn store(&self) -> Arc<dyn Store> {
        self.state.store.clone()
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let signal = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let accounts = self.accounts_listener.map(|listener| {
            let app = http::accounts_router(self.state.clone());
            let stopped = stopped.clone();
            tokio::spawn(async move {
                axum::serve(listener, app).with_graceful_shutdown(signal(stopped)).await
            })
        });
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        axum::serve(self.listener, http::router(self.state))
            .with_graceful_shutdown(signal(stopped))
            .await?;
        if let Some(accounts) = accounts {
            accounts.await??;
        }
        Ok(())
    }
}

/// `crm-profiles serve`.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let bound = bind(&args, Arc::new(SystemClock)).await?;
    let database = redact_url(&args.database);
    tracing::info!(addr = %bound.local_addr, %database, "crm-profiles is ready");
    if let Some(created) = &bound.seeded {
        println!("{}", first_start_message(created, &args, bound.local_addr));
    }
    bound.run(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler does not fail on Unix");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down; finishing requests in flight");
}

/// What `serve` prints on the first start of an empty database: how to get a token, and a
/// clone request ready to paste.
fn first_start_message(created: &CreatedOrg, args: &ServeArgs, addr: SocketAddr) -> String {
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "crm-profiles".into());
    // The database URL is printed only without its password (stdout often ends up in logs).
    let database = if args.database == DEFAULT_DATABASE_URL {
        String::new()
    } else {
        format!(" --database '{}'", redact_url(&args.database))
    };
    let base = base_url(addr);
    let standard = created.profile_ids[STANDARD];
    format!(
        "Created org \"{org}\" (id {org_id}) with users admin@example.com (Administrator) and \
         standard@example.com (Standard).\n\n\
         Get an access token (valid one hour):\n  \
         {exe} token{database} --user admin@example.com --scope ZohoCRM.settings.profiles.ALL\n\n\
         Clone the Standard profile:\n  \
         TOKEN=$({exe} token{database} --user admin@example.com \
         --scope ZohoCRM.settings.profiles.ALL)\n  \
         curl \"{base}/crm/v7/settings/profiles/{standard}/actions/clone\" -X POST \
         -H \"Authorization: Zoho-oauthtoken $TOKEN\" \
         -d '{{\"profiles\":[{{\"name\":\"Sales Manager\",\
         \"description\":\"Manages Sales for the TX region\"}}]}}'\n",
        org = created.org.name,
        org_id = created.org.id,
    )
}

/// `crm-profiles token`: mints a token and returns it; the caller prints it.
pub async fn mint_token(args: &TokenArgs, clock: &dyn Clock) -> anyhow::Result<String> {
    for s in &args.scope {
        if !scope::is_well_formed(s) {
            bail!("'{s}' is not a scope; scopes look like ZohoCRM.settings.profiles.ALL");
        }
    }
    let store = open_existing_store(&args.database).await?;
    let grant = TokenRequest {
        email: &args.user,
        org: args.org.as_deref(),
        scopes: &args.scope,
        expires_in: args.expires_in,
    };
    issue_token(store.as_ref(), &grant, clock.now()).await
}

/// What a token is asked for.
pub struct TokenRequest<'a> {
    pub email: &'a str,
    /// Org id or name; needed only when the email belongs to users of several orgs.
    pub org: Option<&'a str>,
    pub scopes: &'a [String],
    pub expires_in: i64,
}

/// Stores a new token for the user and returns its clear text, the only time it exists.
pub async fn issue_token(
    store: &dyn Store,
    request: &TokenRequest<'_>,
    now: i64,
) -> anyhow::Result<String> {
    let users = store.users_by_email(request.email).await?;
    let user = match (users.as_slice(), request.org) {
        ([], _) => bail!("no user with email {}", request.email),
        ([only], None) => only,
        (_, None) => bail!("{} belongs to several orgs; name one with --org", request.email),
        (many, Some(org)) => many
            .iter()
            .find(|u| u.org_id.to_string() == org || u.org_name.eq_ignore_ascii_case(org))
            .with_context(|| format!("{} is not a user of org {org}", request.email))?,
    };

    let minted = token::mint();
    store
        .insert_token(NewToken {
            digest: minted.digest,
            org_id: user.org_id,
            user_id: user.id,
            scopes: request.scopes.to_vec(),
            created_at: now,
            expires_at: now + request.expires_in,
            refresh_digest: None,
        })
        .await?;
    tracing::info!(token_id = %token::log_id(&minted.digest), user_id = user.id, "token minted");
    Ok(minted.token)
}

/// `crm-profiles org create`: returns the new org's id.
pub async fn create_org(args: &OrgCreateArgs, clock: &dyn Clock) -> anyhow::Result<i64> {
    let name = args.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("an org name has 1 to 100 characters");
    }
    if name.chars().any(|c| c.is_control() || crate::domain::names::is_invisible(c)) {
        bail!("an org name cannot hold control or invisible characters");
    }
    if !crate::domain::user::is_valid_email(&args.admin) {
        bail!("'{}' is not an email address", args.admin);
    }
    let store = open_existing_store(&args.database).await?;
    // Org names identify orgs on the command line (`--org NAME`), so they are kept unique.
    if store.find_org(name).await?.is_some() {
        bail!("an org named {name} exists already");
    }
    // A unique violation is the name taken meanwhile, or (rarely) another org created at the
    // same moment that drew the same random id prefix: the latter is worth another try.
    let seed = seed::new_org(name, &args.admin);
    let mut attempt = 0;
    let created = loop {
        match store.create_org(&seed, clock.now()).await {
            Err(error) if error.is_unique_violation() => {
                attempt += 1;
                if attempt >= 3 || store.find_org(name).await?.is_some() {
                    bail!("an org named {name} exists already");
                }
            }
            other => break other?,
        }
    };
    tracing::info!(org_id = created.org.id, "org created");
    Ok(created.org.id)
}

/// `crm-profiles client create`: returns the new client's id and secret.
pub async fn create_client(
    args: &ClientCreateArgs,
    clock: &dyn Clock,
) -> anyhow::Result<(String, String)> {
    let store = open_existing_store(&args.database).await?;
    add_client(store.as_ref(), &args.org, &args.name, clock.now()).await
}

/// Creates a self client for the org named by `org` (its id or name); returns the client's id
/// and secret, the only time the secret exists in clear.
pub async fn add_client(
    store: &dyn Store,
    org: &str,
    name: &str,
    now: i64,
) -> anyhow::Result<(String, String)> {
    let org = store.find_org(org).await?.with_context(|| format!("no org {org}"))?;
    let (client_id, secret) = oauth::new_client();
    let record = ClientRecord {
        client_id: client_id.clone(),
        org_id: org.id,
        secret_digest: token::digest(&secret),
    };
    store.insert_client(&record, name, now).await?;
    tracing::info!(client_id = %client_id, org_id = org.id, "client created");
    Ok((client_id, secret))
}

/// `crm-profiles grant`: returns a single-use grant code.
pub async fn create_grant(args: &GrantArgs, clock: &dyn Clock) -> anyhow::Result<String> {
    // Checked before the database is opened, so that a typo creates no file.
    oauth::parse_scopes(&args.scope.join(",")).context(SCOPES_HINT)?;
    let store = open_existing_store(&args.database).await?;
    let request = GrantRequest {
        client_id: &args.client_id,
        email: &args.user,
        scopes: &args.scope,
        expires_in: args.expires_in,
    };
    issue_grant_code(store.as_ref(), &request, clock.now()).await
}

const SCOPES_HINT: &str = "scopes look like ZohoCRM.settings.profiles.ALL, separated by commas";

/// What a grant code is asked for.
pub struct GrantRequest<'a> {
    pub client_id: &'a str,
    /// The user the tokens will act for; a user of the client's org.
    pub email: &'a str,
    pub scopes: &'a [String],
    /// Lifetime of the code in seconds.
    pub expires_in: i64,
}

/// Stores a single-use grant code and returns its clear text, the only time it exists.
pub async fn issue_grant_code(
    store: &dyn Store,
    request: &GrantRequest<'_>,
    now: i64,
) -> anyhow::Result<String> {
    let scopes = oauth::parse_scopes(&request.scopes.join(",")).context(SCOPES_HINT)?;
    let client = store
        .client(request.client_id)
        .await?
        .with_context(|| format!("no client {}", request.client_id))?;
    let user = store
        .users_by_email(request.email)
        .await?
        .into_iter()
        .find(|u| u.org_id == client.org_id)
        .with_context(|| format!("{} is not a user of the client's org", request.email))?;

    let code = token::mint();
    let grant = GrantRecord {
        client_id: client.client_id,
        org_id: client.org_id,
        user_id: user.id,
        scopes,
    };
    store.insert_grant_code(code.digest, &grant, now + request.expires_in).await?;
    Ok(code.token)
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact_url("postgres://u:pw@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=pw&x=1"),
            "postgres://h/db?user=u&password=***&x=1"
        );
        assert_eq!(redact_url("host=h password=pw dbname=d"), "host=h password=*** dbname=d");
        assert_eq!(redact_url("sqlite://crm-profiles.db"), "sqlite://crm-profiles.db");
    }
}
