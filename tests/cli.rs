//! The command line of the real binary: `token`, the first start of `serve`, where the database
//! goes, and the environment variables.

mod binary;
mod common;

use std::time::Duration;

use binary::{
    Api, Server, command, contains_bytes, database_bytes, database_url, is_zoho_token, mint_token,
    token_command,
};
use common::{ADMIN, PROFILES_ALL};
use reqwest::StatusCode;

/// A temporary directory and the URL of a database file inside it.
fn fresh_database() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_url(dir.path(), "x.db");
    (dir, url)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[tokio::test]
async fn token_prints_one_zoho_shaped_line_that_works_while_the_server_runs() {
    let (_dir, database) = fresh_database();
    let server = Server::serve(&["--database", &database]);

    let output = token_command(&database, &["--user", ADMIN, "--scope", PROFILES_ALL]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout:?}");
    assert_eq!(stdout, format!("{}\n", lines[0]), "nothing but the token and a newline");
    let token = lines[0];
    assert!(is_zoho_token(token), "{token:?}");

    let api = Api::new(&server, token);
    let (profiles, _) = api.profiles().await;
    assert_eq!(profiles.len(), 2);
    // The default error style follows Zoho's docs: a duplicate name answers 404.
    let standard = api.profile_id("Standard").await;
    let (status, body) = api.clone_profile(&standard, "Administrator").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["profiles"][0]["code"], "DUPLICATE_DATA");

    // A second token differs, and a made-up token of the same shape is refused.
    assert_ne!(mint_token(&database, ADMIN, PROFILES_ALL), token);
    let forged = Api::new(&server, &format!("1000.{}.{}", "0".repeat(32), "f".repeat(32)));
    let (status, body) = forged.get("/crm/v8/settings/profiles").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "INVALID_TOKEN");
}

/// Creates the database the way an operator would before any server ran.
fn migrated(database: &str) {
    let output = binary::command().args(["migrate", "--database", database]).output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn commands_beside_the_server_never_create_a_database() {
    let (dir, database) = fresh_database();
    for args in [
        vec!["token", "--database", &database, "--user", ADMIN, "--scope", PROFILES_ALL],
        vec!["org", "create", "Acme", "--admin", "boss@acme.example", "--database", &database],
        vec!["client", "create", "--org", "Demo", "--name", "x", "--database", &database],
    ] {
        let output = binary::command().args(&args).output().unwrap();
        assert!(!output.status.success(), "{args:?}");
        assert_eq!(text(&output.stdout), "");
        assert!(text(&output.stderr).contains("there is no database at"), "{args:?}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file was created");
}

#[test]
fn org_names_are_unique_and_plain() {
    let (_dir, database) = fresh_database();
    migrated(&database);
    let create = |name: &str| {
        let args = ["org", "create", name, "--admin", "boss@acme.example", "--database", &database];
        binary::command().args(args).output().unwrap()
    };
    assert!(create("Acme").status.success());
    let again = create("acme");
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("exists already"), "{}", text(&again.stderr));
    assert!(!create("Evil\u{1}Org").status.success());
}

#[test]
fn token_refuses_an_unknown_user() {
    let (_dir, database) = fresh_database();
    migrated(&database);
    let output =
        token_command(&database, &["--user", "nobody@example.com", "--scope", PROFILES_ALL]);
    assert!(!output.status.success());
    assert_eq!(text(&output.stdout), "");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("no user with email nobody@example.com"), "{stderr}");
}

#[test]
fn token_refuses_a_malformed_scope() {
    let (_dir, database) = fresh_database();
    migrated(&database);
    let output = token_command(&database, &["--user", ADMIN, "--scope", "profiles"]);
    assert!(!output.status.success());
    assert_eq!(text(&output.stdout), "");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("'profiles' is not a scope"), "{stderr}");
}

#[test]
fn token_refuses_a_lifetime_of_zero() {
    let (_dir, database) = fresh_database();
    let output =
        token_command(&database, &["--user", ADMIN, "--scope", PROFILES_ALL, "--expires-in", "0"]);
    assert!(!output.status.success());
    assert_eq!(text(&output.stdout), "");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("--expires-in"), "{stderr}");
}

#[tokio::test]
async fn a_short_lived_token_expires() {
    let (_dir, database) = fresh_database();
    let server = Server::serve(&["--database", &database]);
    // Two seconds: whatever the fraction of the current second, the token is valid for at least
    // one, ample time for the first request.
    let output =
        token_command(&database, &["--user", ADMIN, "--scope", PROFILES_ALL, "--expires-in", "2"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let short = Api::new(&server, text(&output.stdout).trim_end());
    let (status, body) = short.get("/crm/v8/settings/profiles").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Poll until the token is refused: bounded to 50 polls, 100 ms apart.
    let mut expired = None;
    for _ in 0..50 {
        let (status, body) = short.get("/crm/v8/settings/profiles").await;
        if status == StatusCode::OK {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        expired = Some((status, body));
        break;
    }
    let (status, body) = expired.expect("the token still works after 5 s");
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "INVALID_TOKEN", "{body}");

    // Only that token expired.
    let long = Api::new(&server, &mint_token(&database, ADMIN, PROFILES_ALL));
    assert_eq!(long.get("/crm/v8/settings/profiles").await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_first_start_says_how_to_get_a_token_and_clone_and_the_second_does_not() {
    let (_dir, database) = fresh_database();
    let server = Server::serve(&["--database", &database]);
    let printed = server.read_stdout_until(Duration::from_secs(10), |l| l.contains("curl"));

    let token = mint_token(&database, ADMIN, PROFILES_ALL);
    let api = Api::new(&server, &token);
    let standard = api.profile_id("Standard").await;

    let token_line = printed
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with(binary::BIN))
        .unwrap_or_else(|| panic!("no token command in {printed:#?}"));
    assert_eq!(
        token_line,
        format!(
            "{} token --database '{database}' --user admin@example.com --scope {PROFILES_ALL}",
            binary::BIN
        ),
    );
    let curl_line = printed.last().unwrap();
    let url = format!("{}/crm/v7/settings/profiles/{standard}/actions/clone", server.url(""));
    assert!(curl_line.contains(&format!("curl \"{url}\" -X POST")), "{curl_line}\n{url}");
    assert!(curl_line.contains("Authorization: Zoho-oauthtoken $TOKEN"), "{curl_line}");

    // The printed token command works as printed.
    let output = std::process::Command::new("sh").arg("-c").arg(token_line).output().unwrap();
    assert!(output.status.success(), "{token_line}: {}", text(&output.stderr));
    let printed_token = text(&output.stdout).trim_end().to_owned();
    assert!(is_zoho_token(&printed_token), "{printed_token:?}");
    assert_eq!(Api::new(&server, &printed_token).profiles().await.0.len(), 2);
    drop(server);

    // The second start of the same database: ready, serving, and silent on stdout.
    let server = Server::serve(&["--database", &database]);
    assert_eq!(Api::new(&server, &token).profiles().await.0.len(), 2);
    let stdout = server.kill_and_collect_stdout();
    assert!(
        !stdout.iter().any(|l| l.contains("curl") || l.contains("token")),
        "second start printed {stdout:#?}"
    );
}

#[tokio::test]
async fn tokens_are_stored_hashed() {
    let (dir, database) = fresh_database();
    let server = Server::serve(&["--database", &database]);
    let token = mint_token(&database, ADMIN, PROFILES_ALL);
    let api = Api::new(&server, &token);
    assert_eq!(api.profiles().await.0.len(), 2);

    let path = dir.path().join("x.db");
    let bytes = database_bytes(&path);
    let digest = crm_profiles::domain::token::digest(&token);
    // The search can succeed: the token's digest is in the files.
    assert!(contains_bytes(&bytes, &digest.0), "the digest is stored");
    assert!(!contains_bytes(&bytes, token.as_bytes()), "the clear token is in the database");
    for part in token.split('.').skip(1) {
        assert!(!contains_bytes(&bytes, part.as_bytes()), "half of the token is stored as text");
        let raw = hex::decode(part).unwrap();
        assert!(!contains_bytes(&bytes, &raw), "half of the token is stored as bytes");
    }

    // Read through SQLite too: one row, keyed by the digest, and nothing holds the token.
    let pool = sqlx::SqlitePool::connect(&format!("{database}?mode=ro")).await.unwrap();
    let rows: Vec<(Vec<u8>, String)> =
        sqlx::query_as("SELECT digest, scopes FROM access_tokens").fetch_all(&pool).await.unwrap();
    assert_eq!(rows, vec![(digest.0.to_vec(), PROFILES_ALL.to_owned())]);
    pool.close().await;

    assert!(!server.stderr_log().contains(&token), "the token reached the log");
}

#[tokio::test]
async fn serve_creates_its_database_in_the_working_directory_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let expected = dir.path().join("crm-profiles.db");
    assert!(!expected.exists());
    let server = Server::start(|command, port| {
        command
            .current_dir(dir.path())
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"));
    });
    assert!(expected.is_file(), "no {}", expected.display());
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".db"))
        .collect();
    assert_eq!(entries, ["crm-profiles.db"]);

    // `token` finds the same default database from the same directory.
    let output = command()
        .current_dir(dir.path())
        .args(["token", "--user", ADMIN, "--scope", PROFILES_ALL])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let api = Api::new(&server, text(&output.stdout).trim_end());
    assert_eq!(api.profiles().await.0.len(), 2);
}

#[tokio::test]
async fn serve_reads_listen_database_and_error_style_from_the_environment() {
    let (dir, database) = fresh_database();
    let server = Server::start(|command, port| {
        command
            .arg("serve")
            .env("CRM_PROFILES_LISTEN", format!("127.0.0.1:{port}"))
            .env("CRM_PROFILES_DATABASE_URL", &database)
            .env("CRM_PROFILES_ERROR_STYLE", "oas");
    });
    assert!(dir.path().join("x.db").is_file(), "the database is where the variable says");

    // `token` reads the database variable too.
    let output = command()
        .env("CRM_PROFILES_DATABASE_URL", &database)
        .args(["token", "--user", ADMIN, "--scope", PROFILES_ALL])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    let token = text(&output.stdout).trim_end().to_owned();
    let api = Api::new(&server, &token);
    let standard = api.profile_id("Standard").await;
    let (status, body) = api.clone_profile(&standard, "standard").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the oas style answers 400: {body}");
    assert_eq!(body["profiles"][0]["code"], "DUPLICATE_DATA");
    drop(server);

    // A flag wins over the variable.
    let server = Server::start(|command, port| {
        command
            .args(["serve", "--error-style", "docs"])
            .env("CRM_PROFILES_LISTEN", format!("127.0.0.1:{port}"))
            .env("CRM_PROFILES_DATABASE_URL", &database)
            .env("CRM_PROFILES_ERROR_STYLE", "oas");
    });
    let api = Api::new(&server, &token);
    let (status, body) = api.clone_profile(&standard, "standard").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "--error-style docs answers 404: {body}");
    assert_eq!(body["profiles"][0]["code"], "DUPLICATE_DATA");
}

#[test]
fn org_names_stay_unique_when_created_at_once() {
    let (_dir, database) = fresh_database();
    migrated(&database);
    let children: Vec<_> = (0..6)
        .map(|i| {
            let admin = format!("boss{i}@racer.example");
            let args = ["org", "create", "Racer", "--admin", &admin, "--database", &database];
            binary::command().args(args).stdout(std::process::Stdio::piped()).spawn().unwrap()
        })
        .collect();
    let created = children
        .into_iter()
        .map(|child| child.wait_with_output().unwrap())
        .filter(|output| output.status.success())
        .count();
    assert_eq!(created, 1, "one org named Racer");
}

#[tokio::test]
async fn serve_with_no_demo_starts_on_an_empty_database() {
    let (_dir, database) = fresh_database();
    let server = Server::serve(&["--database", &database, "--no-demo"]);
    let output = token_command(&database, &["--user", ADMIN, "--scope", PROFILES_ALL]);
    assert!(!output.status.success(), "no demo user exists");
    assert!(text(&output.stderr).contains("no user with email"), "{}", text(&output.stderr));
    drop(server);
}
