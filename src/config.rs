//! The command line. Every option of `serve` can also be set through an environment variable;
//! a flag wins over the variable, the variable over the default.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::http::error::ErrorStyle;

/// Where the database lives when none is named: `crm-profiles.db` in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://crm-profiles.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Parser)]
#[command(name = "crm-profiles", version, about = "Zoho CRM's profiles API, self-hosted")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve(ServeArgs),
    /// Print a new access token for a user, and nothing else.
    Token(TokenArgs),
    /// Manage orgs.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Print a single-use grant code for a user, as Zoho's console does for a self client.
    Grant(GrantArgs),
    /// Apply pending database migrations and exit (`serve` also applies them at start).
    Migrate(MigrateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// Database URL, as for `serve`.
    #[arg(long, env = "CRM_PROFILES_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database: String,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Create a self client for an org; prints its id, then its secret, one per line.
    Create(ClientCreateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ClientCreateArgs {
    /// The org's id or name.
    #[arg(long)]
    pub org: String,

    /// A name for the client.
    #[arg(long)]
    pub name: String,

    /// Database URL, as for `serve`.
    #[arg(long, env = "CRM_PROFILES_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database: String,
}

#[derive(Debug, Clone, Args)]
pub struct GrantArgs {
    /// The client the code is for.
    #[arg(long)]
    pub client_id: String,

    /// Email of the user the tokens will act for; a user of the client's org.
    #[arg(long)]
    pub user: String,

    /// Scopes to grant, separated by commas.
    #[arg(long, value_delimiter = ',', required = true)]
    pub scope: Vec<String>,

    /// Lifetime of the code in seconds.
    #[arg(long, default_value_t = crate::domain::oauth::DEFAULT_CODE_SECS,
          value_parser = clap::value_parser!(i64).range(1..=crate::domain::oauth::MAX_CODE_SECS))]
    pub expires_in: i64,

    /// Database URL, as for `serve`.
    #[arg(long, env = "CRM_PROFILES_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database: String,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an org with its system profiles and an administrator; prints the org's id.
    Create(OrgCreateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct OrgCreateArgs {
    /// The org's name.
    pub name: String,

    /// Email of the org's administrator and primary contact.
    #[arg(long)]
    pub admin: String,

    /// Database URL, as for `serve`.
    #[arg(long, env = "CRM_PROFILES_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "CRM_PROFILES_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Database URL: sqlite://PATH (created if missing), a plain file path, or
    /// postgres://USER@HOST:PORT/DATABASE for several nodes sharing one database.
    #[arg(long, env = "CRM_PROFILES_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database: String,

    /// Which of Zoho's descriptions the clone errors follow: `docs` (404 for a duplicate name
    /// and the profile limit) or `oas` (400, limit code LICENSE_LIMIT_EXCEEDED).
    #[arg(long, env = "CRM_PROFILES_ERROR_STYLE", value_enum, default_value_t = ErrorStyle::Docs)]
    pub error_style: ErrorStyle,

    /// This server's URL as clients reach it, handed to them as `api_domain` with every token.
    /// Defaults to `http://` and the address it listens on.
    #[arg(long, env = "CRM_PROFILES_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// A second address that serves only the accounts endpoints (`/oauth/v2/token…`), for
    /// clients configured with separate accounts and API URLs. The main listener serves them
    /// too.
    #[arg(long, env = "CRM_PROFILES_ACCOUNTS_LISTEN")]
    pub accounts_listen: Option<SocketAddr>,

    /// Live access tokens one refresh token may have; minting another ends the oldest.
    #[arg(long, env = "CRM_PROFILES_ACCESS_TOKENS_PER_REFRESH", default_value_t = 10,
          value_parser = clap::value_parser!(i64).range(1..))]
    pub access_tokens_per_refresh: i64,

    /// Access tokens one refresh token may mint per window (see --refresh-window-secs).
    #[arg(long, env = "CRM_PROFILES_REFRESHES_PER_WINDOW", default_value_t = 10,
          value_parser = clap::value_parser!(i64).range(1..))]
    pub refreshes_per_window: i64,

    /// Length of the refresh rate window, in seconds.
    #[arg(long, env = "CRM_PROFILES_REFRESH_WINDOW_SECS", default_value_t = 600,
          value_parser = clap::value_parser!(i64).range(1..))]
    pub refresh_window_secs: i64,

    /// Start without the demo org (org "Demo", admin@example.com, standard@example.com) on an
    /// empty database; create orgs with `crm-profiles org create` instead.
    #[arg(long, env = "CRM_PROFILES_NO_DEMO")]
    pub no_demo: bool,

    /// Lifetime of access tokens minted by the accounts endpoints, in seconds.
    #[arg(long, env = "CRM_PROFILES_ACCESS_TOKEN_SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(i64).range(1..=86_400))]
    pub access_token_secs: i64,

    /// Most database connections this node opens (PostgreSQL; SQLite writes through one).
    #[arg(long, env = "CRM_PROFILES_DB_MAX_CONNECTIONS", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_max_connections: u32,

    /// Longest a database statement may run, in milliseconds, before PostgreSQL cancels it.
    #[arg(long, env = "CRM_PROFILES_DB_STATEMENT_TIMEOUT_MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub db_statement_timeout_ms: u64,

    /// Log line format on standard error.
    #[arg(long, env = "CRM_PROFILES_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// Email of the user the token acts for.
    #[arg(long)]
    pub user: String,

    /// Scopes to grant, separated by commas (e.g. ZohoCRM.settings.profiles.ALL).
    #[arg(long, value_delimiter = ',', required = true)]
    pub scope: Vec<String>,

    /// Lifetime of the token in seconds.
    #[arg(long, default_value_t = crate::domain::token::DEFAULT_LIFETIME_SECS,
          value_parser = clap::value_parser!(i64).range(1..=31_536_000))]
    pub expires_in: i64,

    /// Org id or name, needed only when the email belongs to users of several orgs.
    #[arg(long)]
    pub org: Option<String>,

    /// Database URL, as for `serve`.
    #[arg(long, env = "CRM_PROFILES_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database: String,
}

impl ServeArgs {
    pub fn store_settings(&self) -> crate::store::StoreSettings {
        crate::store::StoreSettings {
            max_connections: self.db_max_connections,
            statement_timeout: std::time::Duration::from_millis(self.db_statement_timeout_ms),
            ..crate::store::StoreSettings::default()
        }
    }
}
