//! `crm-profiles`: parses the command line and starts the chosen command.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use crm_profiles::app;
use crm_profiles::config::{Cli, ClientCommand, Command, LogFormat, OrgCommand};
use crm_profiles::domain::clock::SystemClock;
use tracing_subscriber::EnvFilter;

fn init_logging(format: LogFormat, default_level: &str) {
    let filter = EnvFilter::try_from_env("CRM_PROFILES_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{default_level},sqlx=warn")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => {
            init_logging(args.log_format, "info");
            app::serve(args).await
        }
        Command::Token(args) => {
            init_logging(LogFormat::Text, "warn");
            app::mint_token(&args, &SystemClock).await.map(|token| println!("{token}"))
        }
        Command::Client(ClientCommand::Create(args)) => {
            init_logging(LogFormat::Text, "warn");
            app::create_client(&args, &SystemClock)
                .await
                .map(|(id, secret)| println!("{id}\n{secret}"))
        }
        Command::Grant(args) => {
            init_logging(LogFormat::Text, "warn");
            app::create_grant(&args, &SystemClock).await.map(|code| println!("{code}"))
        }
        Command::Migrate(args) => {
            init_logging(LogFormat::Text, "warn");
            let settings = crm_profiles::store::StoreSettings::default();
            app::migrate(&args.database, &settings).await.map(|_| println!("migrations applied"))
        }
        Command::Org(OrgCommand::Create(args)) => {
            init_logging(LogFormat::Text, "warn");
            app::create_org(&args, &SystemClock).await.map(|id| println!("{id}"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("crm-profiles: {error:#}");
            ExitCode::FAILURE
        }
    }
}
