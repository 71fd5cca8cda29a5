-- Orgs, their users and profiles, and access tokens.
-- Ids are Zoho-shaped 64-bit integers minted by the server (see src/domain/ids.rs).

CREATE TABLE orgs (
    id                 INTEGER PRIMARY KEY,
    prefix             INTEGER NOT NULL UNIQUE,
    name               TEXT    NOT NULL,
    profile_limit      INTEGER NOT NULL,
    utc_offset_minutes INTEGER NOT NULL DEFAULT 0,
    -- The local part of the next profile or user id; bumped inside every creating transaction,
    -- which also serialises creations within one org.
    next_local         INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    -- When a profile of the org was last created, changed or deleted (If-Modified-Since).
    profiles_changed_at INTEGER NOT NULL,
    -- The org's primary contact, whose profile never changes so the org keeps an administrator.
    primary_user_id    INTEGER
);

-- Org names identify orgs on the command line, so they are unique ignoring case.
CREATE UNIQUE INDEX orgs_by_name ON orgs (lower(name));

CREATE TABLE roles (
    id     INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs (id),
    name   TEXT    NOT NULL
);

CREATE TABLE profiles (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    name        TEXT    NOT NULL,
    -- Lower-cased trimmed name: names are unique per org ignoring case.
    name_key    TEXT    NOT NULL,
    api_name    TEXT    NOT NULL,
    description TEXT,
    custom      INTEGER NOT NULL,
    -- One bit per permission of the catalogue, in catalogue order.
    permissions BLOB    NOT NULL,
    created_by  INTEGER,
    modified_by INTEGER,
    created_at  INTEGER,
    modified_at INTEGER,
    UNIQUE (org_id, name_key),
    UNIQUE (org_id, api_name)
);

CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    email      TEXT    NOT NULL,
    first_name TEXT,
    last_name  TEXT    NOT NULL,
    -- Every user holds exactly one profile of its own org; deleting a profile moves its users
    -- first, in the same transaction, and this reference makes any other path fail.
    profile_id  INTEGER NOT NULL REFERENCES profiles (id),
    role_id     INTEGER NOT NULL REFERENCES roles (id),
    status      TEXT    NOT NULL DEFAULT 'active',
    confirmed   INTEGER NOT NULL DEFAULT 1,
    created_by  INTEGER,
    created_at  INTEGER NOT NULL,
    modified_by INTEGER,
    modified_at INTEGER NOT NULL,
    UNIQUE (org_id, email)
);

CREATE INDEX users_by_email ON users (email);
CREATE INDEX users_by_profile ON users (profile_id);

-- Every secret below (client secret, grant code, refresh and access token) is stored as its
-- SHA-256 digest; the clear text exists only in the answer that hands it out.

CREATE TABLE oauth_clients (
    client_id     TEXT    PRIMARY KEY,
    secret_digest BLOB    NOT NULL,
    org_id        INTEGER NOT NULL REFERENCES orgs (id),
    name          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE grant_codes (
    digest     BLOB    PRIMARY KEY,
    client_id  TEXT    NOT NULL REFERENCES oauth_clients (client_id),
    org_id     INTEGER NOT NULL REFERENCES orgs (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    scopes     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE refresh_tokens (
    digest       BLOB    PRIMARY KEY,
    client_id    TEXT    NOT NULL REFERENCES oauth_clients (client_id),
    org_id       INTEGER NOT NULL REFERENCES orgs (id),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    scopes       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    -- The current rate window: when it began and how many access tokens were minted in it.
    window_start INTEGER NOT NULL,
    window_count INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE access_tokens (
    digest         BLOB    PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs (id),
    user_id        INTEGER NOT NULL REFERENCES users (id),
    -- Granted scopes, separated by single spaces.
    scopes         TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    -- The refresh token it was minted from, if any: revoking that ends this token too.
    refresh_digest BLOB
);

CREATE INDEX access_tokens_by_refresh ON access_tokens (refresh_digest, created_at);
