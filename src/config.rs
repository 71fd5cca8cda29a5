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

    /// Database URL: sqlite://PATH (created if missing) or a plain file path.
    #[arg(long, env = "CRM_PROFILES_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database: String,

    /// Which of Zoho's descriptions the clone errors follow: `docs` (404 for a duplicate name
    /// and the profile limit) or `oas` (400, limit code LICENSE_LIMIT_EXCEEDED).
    #[arg(long, env = "CRM_PROFILES_ERROR_STYLE", value_enum, default_value_t = ErrorStyle::Docs)]
    pub error_style: ErrorStyle,

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
