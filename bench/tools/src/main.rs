//! `bench-tools`: the helpers `bench/run` calls around wrk.
//!
//! - `seed`: creates many orgs fast through the library (concurrent `create_org` calls, which the
//!   SQLite store's group commit batches into few transactions) and mints tokens for some of
//!   them, one line per org in a file the wrk scripts read.
//! - `token`: mints a token for an existing user (the demo org's administrator) in the same
//!   line format.
//! - `ready`: starts the server and times how long it takes until `/health` first answers 200.
//! - `report`: gathers the results of one run into one JSON file and prints a table.

mod report;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use crm_profiles::app::{self, TokenRequest};
use crm_profiles::domain::clock::{Clock, SystemClock};
use crm_profiles::domain::seed;
use crm_profiles::store::{CreatedOrg, Store, StoreSettings};
use tokio::task::JoinSet;

#[derive(Parser)]
#[command(name = "bench-tools", about = "Helpers of bench/run")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create orgs (and tokens for the first of them) in a database.
    Seed(SeedArgs),
    /// Mint a token for an existing user and write its line.
    Token(TokenArgs),
    /// Start the server and print the milliseconds until /health first answers 200.
    Ready(ReadyArgs),
    /// Gather one run's results into a JSON file and print the table.
    Report(report::ReportArgs),
}

#[derive(clap::Args)]
struct SeedArgs {
    /// Database URL, as for `crm-profiles serve`.
    #[arg(long)]
    database: String,
    /// How many orgs to create.
    #[arg(long)]
    orgs: usize,
    /// Mint a token for the administrator of each of the first N new orgs.
    #[arg(long, default_value_t = 0)]
    tokens: usize,
    /// Org names and admin emails are `TAG-<n>`, so several seedings of one database differ.
    #[arg(long)]
    tag: String,
    /// How many creations are in flight at once.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// File the token lines are appended to: `token org_id administrator_id standard_id`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// File a JSON summary of the seeding (count, seconds) is written to.
    #[arg(long)]
    stats: Option<PathBuf>,
}

#[derive(clap::Args)]
struct TokenArgs {
    #[arg(long)]
    database: String,
    /// The user's email.
    #[arg(long)]
    email: String,
    /// File the token line is appended to.
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Args)]
struct ReadyArgs {
    /// The crm-profiles binary.
    #[arg(long)]
    exe: PathBuf,
    #[arg(long)]
    database: String,
    /// Address the server listens on.
    #[arg(long)]
    listen: std::net::SocketAddr,
    /// File the server's output is appended to.
    #[arg(long)]
    log: PathBuf,
}

const SCOPE: &str = "ZohoCRM.settings.profiles.ALL";
/// Tokens outlive any run.
const TOKEN_SECS: i64 = 86_400;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bench-tools: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Seed(args) => seed_orgs(args).await,
            Command::Token(args) => token(args).await,
            Command::Ready(args) => ready(args).await,
            Command::Report(args) => report::run(&args),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench-tools: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn open(database: &str) -> anyhow::Result<Arc<dyn Store>> {
    let settings = StoreSettings {
        max_connections: 16,
        acquire_timeout: Duration::from_secs(300),
        ..StoreSettings::default()
    };
    app::migrate(database, &settings).await
}

async fn seed_orgs(args: SeedArgs) -> anyhow::Result<()> {
    if args.tokens > args.orgs {
        bail!("--tokens cannot exceed --orgs");
    }
    let store = open(&args.database).await?;
    let now = SystemClock.now();
    let concurrency = args.concurrency.max(1);

    let started = Instant::now();
    let mut created: Vec<(usize, CreatedOrg)> = Vec::with_capacity(args.orgs);
    let mut running = JoinSet::new();
    for i in 0..args.orgs {
        while running.len() >= concurrency {
            created.push(joined(running.join_next().await)?);
        }
        let store = store.clone();
        let (name, email) = (format!("{}-{i}", args.tag), email(&args.tag, i));
        running.spawn(async move {
            let seed = seed::new_org(&name, &email);
            // A failure that may pass (PostgreSQL out of connections, two new orgs drawing one
            // prefix at once) is retried; the seeding fails only if it keeps failing.
            let mut attempt = 1;
            loop {
                match store.create_org(&seed, now).await {
                    Ok(org) => return anyhow::Ok((i, org)),
                    Err(error) if attempt < 5 => {
                        eprintln!("creating org {name} failed (attempt {attempt}): {error}");
                        tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                        attempt += 1;
                    }
                    Err(error) => return Err(error).context(format!("cannot create org {name}")),
                }
            }
        });
    }
    while let Some(done) = running.join_next().await {
        created.push(joined(Some(done))?);
    }
    let orgs_secs = started.elapsed().as_secs_f64();
    created.sort_by_key(|(i, _)| *i);

    let started = Instant::now();
    let mut lines: Vec<(usize, String)> = Vec::with_capacity(args.tokens);
    let mut minting = JoinSet::new();
    for (i, org) in created.iter().take(args.tokens) {
        while minting.len() >= concurrency {
            lines.push(joined(minting.join_next().await)?);
        }
        let store = store.clone();
        let (i, email, org_id) = (*i, email(&args.tag, *i), org.org.id);
        let ids = (org.profile_ids[seed::ADMINISTRATOR], org.profile_ids[seed::STANDARD]);
        minting.spawn(async move {
            let scopes = [SCOPE.to_owned()];
            let org = org_id.to_string();
            let request = TokenRequest {
                email: &email,
                org: Some(&org),
                scopes: &scopes,
                expires_in: TOKEN_SECS,
            };
            let token = app::issue_token(store.as_ref(), &request, now).await?;
            anyhow::Ok((i, format!("{token} {org_id} {} {}", ids.0, ids.1)))
        });
    }
    while let Some(done) = minting.join_next().await {
        lines.push(joined(Some(done))?);
    }
    lines.sort_by_key(|(i, _)| *i);
    let tokens_secs = started.elapsed().as_secs_f64();

    if let Some(out) = &args.out {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(out)
            .with_context(|| format!("cannot open {}", out.display()))?;
        for (_, line) in &lines {
            writeln!(file, "{line}")?;
        }
    }
    let stats = serde_json::json!({
        "orgs": args.orgs,
        "orgs_seconds": round(orgs_secs, 3),
        "orgs_per_second": round(args.orgs as f64 / orgs_secs.max(1e-9), 0),
        "tokens": args.tokens,
        "tokens_seconds": round(tokens_secs, 3),
    });
    eprintln!("seeded: {stats}");
    if let Some(path) = &args.stats {
        std::fs::write(path, serde_json::to_vec_pretty(&stats)?)?;
    }
    Ok(())
}

fn joined<T>(done: Option<Result<anyhow::Result<T>, tokio::task::JoinError>>) -> anyhow::Result<T> {
    done.context("no task was running")??
}

fn email(tag: &str, i: usize) -> String {
    format!("{tag}-{i}@bench.example.com")
}

fn round(value: f64, digits: i32) -> f64 {
    let factor = 10f64.powi(digits);
    (value * factor).round() / factor
}

async fn token(args: TokenArgs) -> anyhow::Result<()> {
    let store = open(&args.database).await?;
    let now = SystemClock.now();
    let users = store.users_by_email(&args.email).await?;
    let [user] = users.as_slice() else {
        bail!("{} should name exactly one user, found {}", args.email, users.len());
    };
    let org = store.find_org(&user.org_id.to_string()).await?.context("the user's org is gone")?;
    let profiles = store.list_profiles(&org).await?;
    let id_of = |api_name: &str| {
        profiles
            .iter()
            .find(|p| !p.custom && p.api_name == api_name)
            .map(|p| p.id)
            .with_context(|| format!("the org has no {api_name} profile"))
    };
    let (administrator, standard) = (id_of("Administrator")?, id_of("Standard")?);
    let scopes = [SCOPE.to_owned()];
    let request =
        TokenRequest { email: &args.email, org: None, scopes: &scopes, expires_in: TOKEN_SECS };
    let token = app::issue_token(store.as_ref(), &request, now).await?;
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&args.out)?;
    writeln!(file, "{token} {} {administrator} {standard}", org.id)?;
    Ok(())
}

/// Starts `crm-profiles serve`, polls `/health` every millisecond from the moment of the spawn,
/// prints the milliseconds until the first 200, then stops the server with SIGTERM.
async fn ready(args: ReadyArgs) -> anyhow::Result<()> {
    // Blocking on purpose: the spawn and the polls are timed from this thread alone.
    tokio::task::spawn_blocking(move || ready_blocking(&args)).await?
}

fn ready_blocking(args: &ReadyArgs) -> anyhow::Result<()> {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(&args.log)?;
    let started = Instant::now();
    let mut child = std::process::Command::new(&args.exe)
        .args(["serve", "--listen", &args.listen.to_string(), "--database", &args.database])
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", args.exe.display()))?;
    let deadline = started + Duration::from_secs(120);
    let outcome = loop {
        if health_ok(args.listen) {
            break Ok(started.elapsed());
        }
        if let Some(status) = child.try_wait()? {
            break Err(anyhow::anyhow!("the server exited with {status} before it was ready"));
        }
        if Instant::now() > deadline {
            break Err(anyhow::anyhow!("the server was not ready within 120 s"));
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let stop_deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait()?.is_none() {
        if Instant::now() > stop_deadline {
            child.kill()?;
            child.wait()?;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    println!("{:.1}", outcome?.as_secs_f64() * 1000.0);
    Ok(())
}

/// Whether `GET /health` answers 200 right now.
fn health_ok(addr: std::net::SocketAddr) -> bool {
    let attempt = || -> std::io::Result<bool> {
        let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
        stream.set_read_timeout(Some(Duration::from_secs(3)))?;
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head)?;
        Ok(head.starts_with(b"HTTP/1.1 200"))
    };
    attempt().unwrap_or(false)
}
