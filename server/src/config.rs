//! Configuration: every setting is a command-line flag and an environment variable, with a
//! documented default, so `quorumkey-server serve` with nothing set works on a fresh
//! machine. A `.env` file in the working directory is read too (see `.env.example`).
//!
//! | variable | flag | default | what |
//! |---|---|---|---|
//! | `QUORUMKEY_DATA_DIR` | `--data-dir` | `./quorumkey-data` | where the defaults below live (created `0700`) |
//! | `QUORUMKEY_DATABASE_URL` | `--database-url` | `sqlite://<data-dir>/quorumkey.sqlite3` | `sqlite:…` or `postgres://…` |
//! | `QUORUMKEY_DB_MAX_CONNECTIONS` | `--db-max-connections` | `16` | pool size (PostgreSQL; SQLite readers) |
//! | `QUORUMKEY_MIGRATE` | `--migrate` | `true` | run the database migrations at start |
//! | `QUORUMKEY_SQLITE_SYNC` | `--sqlite-sync` | `full` | `full`: sync every commit (power-cut safe); `normal`: at checkpoints only (process-crash safe) |
//! | `QUORUMKEY_KEYRING` | `--keyring` | `<data-dir>/keyring.json` | the master seeds (created `0600` on first start) |
//! | `QUORUMKEY_KEYRING_COMMAND` | `--keyring-command` | — | instead of the file: a command printing the keyring (KMS hook) |
//! | `QUORUMKEY_KEYRING_JSON` | — | — | instead of both: the keyring JSON itself (a container secret; environment only) |
//! | `QUORUMKEY_SERVER_ID` | `--server-id` | `localhost` | this key server's identity: tokens' `aud`, the key directory's `issuer` |
//! | `QUORUMKEY_BIND` | `--bind` | `127.0.0.1:8440` | listen address (plain HTTP: put TLS in front) |
//! | `QUORUMKEY_JWKS` | `--jwks` | — (development issuer) | comma-separated JWKS files or URLs with the issuer keys |
//! | `QUORUMKEY_ISSUERS` | `--issuers` | — | comma-separated `tenant=issuer`: the `iss` for each `kid` tenant |
//! | `QUORUMKEY_JWKS_REFRESH` | `--jwks-refresh` | `300` | seconds between JWKS reloads |
//! | `QUORUMKEY_TOKEN_MAX_LIFETIME` | `--token-max-lifetime` | `300` | most seconds between a token's `iat` and `exp` |
//! | `QUORUMKEY_ADMIN_TOKEN` | — | — | operator token for `/v1/admin/…` (at least 32 characters; env only) |
//! | `QUORUMKEY_ADMIN_TOKEN_FILE` | `--admin-token-file` | — | the same, read from a file |
//! | `QUORUMKEY_USER_BURST` | `--user-burst` | `64` | per-user bucket size, elements (0: off) |
//! | `QUORUMKEY_USER_PER_MINUTE` | `--user-per-minute` | `60` | per-user refill, elements per minute |
//! | `QUORUMKEY_ADDRESS_BURST` | `--address-burst` | `1024` | per-address bucket size, elements (0: off) |
//! | `QUORUMKEY_ADDRESS_PER_MINUTE` | `--address-per-minute` | `1200` | per-address refill, elements per minute |
//! | `QUORUMKEY_CLIENT_IP_HEADER` | `--client-ip-header` | — | take the client address from this header's last entry (e.g. `x-forwarded-for` behind your proxy) |
//! | `QUORUMKEY_MAX_GUESSES` | `--max-guesses` | `10` | most guesses a client may ask for when it sets a password |
//! | `QUORUMKEY_REQUEST_TIMEOUT` | `--request-timeout` | `10` | seconds before a request is answered `503 busy` |
//! | `QUORUMKEY_SHUTDOWN_GRACE` | `--shutdown-grace` | `30` | seconds in-flight requests get to finish at shutdown |
//! | `RUST_LOG` | — | `info` | log filter (`tracing` `EnvFilter` syntax) |
//! | `LOG_FORMAT` | `--log-format` | `text` | `text` or `json` |
//!
//! A missing or invalid setting fails at start, naming the setting only: the environment is
//! never printed.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use zeroize::Zeroizing;

use crate::auth::JwksSource;
use crate::keyring::Source;
use crate::limits::BucketConfig;
use crate::telemetry::LogFormat;

/// quorumkey-server: a quorumkey key server (RFC 9497 evaluations for authenticated users,
/// guess limits, rate limits, audit log, master-seed rotation).
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    /// Settings every command shares.
    #[command(flatten)]
    pub common: Common,
    /// Log format.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the server's state lives.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Directory for the default database, keyring and development issuer.
    #[arg(
        long,
        env = "QUORUMKEY_DATA_DIR",
        default_value = "./quorumkey-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Database: `sqlite:PATH` or `postgres://…` [default: sqlite://DATA_DIR/quorumkey.sqlite3]
    #[arg(long, env = "QUORUMKEY_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Connection pool size.
    #[arg(
        long,
        env = "QUORUMKEY_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: u32,
    /// SQLite: `full` syncs every commit (power-cut safe), `normal` only at checkpoints
    /// (process-crash safe; an OS crash or power cut may lose the last commits).
    #[arg(
        long,
        env = "QUORUMKEY_SQLITE_SYNC",
        value_enum,
        default_value = "full",
        global = true
    )]
    pub sqlite_sync: SqliteSync,
    /// Keyring file [default: DATA_DIR/keyring.json].
    #[arg(long, env = "QUORUMKEY_KEYRING", global = true)]
    pub keyring: Option<PathBuf>,
    /// A command whose standard output is the keyring (KMS hook); read-only.
    #[arg(
        long,
        env = "QUORUMKEY_KEYRING_COMMAND",
        global = true,
        conflicts_with = "keyring"
    )]
    pub keyring_command: Option<String>,
    /// This key server's identity: the `aud` tokens must carry and the key directory's
    /// `issuer`.
    #[arg(
        long,
        env = "QUORUMKEY_SERVER_ID",
        default_value = "localhost",
        global = true
    )]
    pub server_id: String,
}

impl Common {
    /// Database options.
    pub fn store_options(&self, migrate: bool) -> crate::storage::StoreOptions {
        crate::storage::StoreOptions {
            max_connections: self.db_max_connections,
            migrate,
            sqlite_full_sync: self.sqlite_sync == SqliteSync::Full,
            ..crate::storage::StoreOptions::default()
        }
    }

    /// The database URL.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data_dir.join("quorumkey.sqlite3").display()
            )
        })
    }

    /// Where the keyring comes from.
    pub fn keyring_source(&self) -> Source {
        if std::env::var_os(KEYRING_JSON).is_some() {
            return Source::Environment(KEYRING_JSON.to_owned());
        }
        match (&self.keyring_command, &self.keyring) {
            (Some(command), _) => Source::Command(command.clone()),
            (None, Some(path)) => Source::File(path.clone()),
            (None, None) => Source::File(self.data_dir.join("keyring.json")),
        }
    }

    /// The development issuer's file.
    pub fn dev_issuer_path(&self) -> PathBuf {
        self.data_dir.join("dev-issuer.json")
    }
}

/// How SQLite makes commits durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSync {
    /// Sync at every (group) commit.
    Full,
    /// Sync at checkpoints only.
    Normal,
}

/// The environment variable that holds the keyring JSON itself (a container secret), when
/// set; it takes precedence over the file and the command. Environment only: a secret on
/// the command line would show in the process list.
pub const KEYRING_JSON: &str = "QUORUMKEY_KEYRING_JSON";

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the key server.
    Serve(Box<Serve>),
    /// Run the database migrations and exit.
    Migrate,
    /// List the master-seed generations, or change them.
    Keys {
        /// What to do (default: list).
        #[command(subcommand)]
        action: Option<KeysAction>,
    },
    /// DEVELOPMENT ONLY: print a token signed by the development issuer.
    DevToken {
        /// The user (`sub`).
        #[arg(long)]
        user: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 300)]
        ttl: u64,
    },
    /// Verify a user's audit hash chain in the database.
    VerifyAudit {
        /// The user.
        #[arg(long)]
        user: String,
    },
}

/// Changes to the keyring.
#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// List generations (the default).
    List,
    /// Add a generation and make it current; the previous one is served until the end of
    /// the migration window.
    Rotate {
        /// Days the previous generation stays usable.
        #[arg(long, default_value_t = 30)]
        window_days: u32,
    },
    /// Delete a generation's seed for good (not the current one; not before its window
    /// ends unless --force).
    Retire {
        /// The generation.
        generation: u32,
        /// Retire before the end of its migration window.
        #[arg(long)]
        force: bool,
    },
    /// Write the public key directory (JSON).
    ExportPublic {
        /// Output file [default: standard output].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `serve` settings.
#[derive(Debug, Clone, Args)]
pub struct Serve {
    /// Listen address. The server speaks plain HTTP: terminate TLS in front of it.
    #[arg(long, env = "QUORUMKEY_BIND", default_value = "127.0.0.1:8440")]
    pub bind: String,
    /// Run the database migrations at start.
    #[arg(long, env = "QUORUMKEY_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate: bool,
    /// Comma-separated JWKS files or URLs with the issuers' public keys (`kid` =
    /// `tenant:version`). Unset: the development issuer in the data directory (loopback
    /// binds only).
    #[arg(long, env = "QUORUMKEY_JWKS")]
    pub jwks: Option<String>,
    /// Comma-separated `tenant=issuer` pairs: the `iss` each `kid` tenant's tokens carry.
    #[arg(long, env = "QUORUMKEY_ISSUERS")]
    pub issuers: Option<String>,
    /// Seconds between reloads of the JWKS.
    #[arg(long, env = "QUORUMKEY_JWKS_REFRESH", default_value_t = 300)]
    pub jwks_refresh: u64,
    /// Most seconds between a token's `iat` and `exp`.
    #[arg(long, env = "QUORUMKEY_TOKEN_MAX_LIFETIME", default_value_t = 300)]
    pub token_max_lifetime: u64,
    /// File holding the operator token for `/v1/admin/…` (or set QUORUMKEY_ADMIN_TOKEN).
    #[arg(long, env = "QUORUMKEY_ADMIN_TOKEN_FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// Per-user bucket size in elements (0: no per-user limit).
    #[arg(long, env = "QUORUMKEY_USER_BURST", default_value_t = 64)]
    pub user_burst: u32,
    /// Per-user refill in elements per minute.
    #[arg(long, env = "QUORUMKEY_USER_PER_MINUTE", default_value_t = 60)]
    pub user_per_minute: u32,
    /// Per-address bucket size in elements (0: no per-address limit).
    #[arg(long, env = "QUORUMKEY_ADDRESS_BURST", default_value_t = 1024)]
    pub address_burst: u32,
    /// Per-address refill in elements per minute.
    #[arg(long, env = "QUORUMKEY_ADDRESS_PER_MINUTE", default_value_t = 1200)]
    pub address_per_minute: u32,
    /// Take the client address from the last entry of this header (set by your proxy).
    #[arg(long, env = "QUORUMKEY_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,
    /// Most guesses a client may ask for when it sets up a password.
    #[arg(long, env = "QUORUMKEY_MAX_GUESSES", default_value_t = quorumkey::keyserver::DEFAULT_MAX_GUESSES)]
    pub max_guesses: u8,
    /// Seconds before a request is answered `503 busy`.
    #[arg(long, env = "QUORUMKEY_REQUEST_TIMEOUT", default_value_t = 10)]
    pub request_timeout: u64,
    /// Seconds in-flight requests get to finish at shutdown.
    #[arg(long, env = "QUORUMKEY_SHUTDOWN_GRACE", default_value_t = 30)]
    pub shutdown_grace: u64,
}

/// A configuration error: names the setting, never its value.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    /// The variable or flag.
    pub setting: &'static str,
    /// What is wrong.
    pub problem: String,
}

fn config_error(setting: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        setting,
        problem: problem.into(),
    }
}

/// The shortest operator token accepted.
pub const MIN_ADMIN_TOKEN_LEN: usize = 32;

impl Serve {
    /// The issuer keys' sources.
    pub fn jwks_sources(&self) -> Vec<JwksSource> {
        self.jwks
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(JwksSource::parse)
            .collect()
    }

    /// tenant → issuer.
    pub fn issuer_map(&self) -> Result<HashMap<String, String>, ConfigError> {
        let mut map = HashMap::new();
        for pair in self
            .issuers
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (tenant, issuer) = pair
                .split_once('=')
                .filter(|(t, i)| !t.is_empty() && !i.is_empty() && !t.contains(':'))
                .ok_or_else(|| config_error("QUORUMKEY_ISSUERS", "expected tenant=issuer pairs"))?;
            map.insert(tenant.to_owned(), issuer.to_owned());
        }
        Ok(map)
    }

    /// The operator token, from the environment or the file.
    pub fn admin_token(&self) -> Result<Option<Zeroizing<String>>, ConfigError> {
        let token = match (
            &self.admin_token_file,
            std::env::var("QUORUMKEY_ADMIN_TOKEN"),
        ) {
            (Some(path), _) => Some(Zeroizing::new(
                std::fs::read_to_string(path)
                    .map_err(|e| config_error("QUORUMKEY_ADMIN_TOKEN_FILE", e.to_string()))?
                    .trim()
                    .to_owned(),
            )),
            (None, Ok(value)) => Some(Zeroizing::new(value.trim().to_owned())),
            (None, Err(_)) => None,
        };
        match token {
            Some(t) if t.len() < MIN_ADMIN_TOKEN_LEN => Err(config_error(
                "QUORUMKEY_ADMIN_TOKEN",
                format!("must be at least {MIN_ADMIN_TOKEN_LEN} characters"),
            )),
            other => Ok(other),
        }
    }

    /// The rate-limit buckets.
    pub fn buckets(&self) -> (BucketConfig, BucketConfig) {
        (
            BucketConfig {
                burst: self.user_burst,
                per_minute: self.user_per_minute,
            },
            BucketConfig {
                burst: self.address_burst,
                per_minute: self.address_per_minute,
            },
        )
    }

    /// The client-address header.
    pub fn client_ip_header(&self) -> Result<Option<axum::http::HeaderName>, ConfigError> {
        self.client_ip_header
            .as_deref()
            .filter(|h| !h.is_empty())
            .map(|h| {
                axum::http::HeaderName::try_from(h)
                    .map_err(|_| config_error("QUORUMKEY_CLIENT_IP_HEADER", "not a header name"))
            })
            .transpose()
    }

    /// Seconds → duration, refusing 0 where it makes no sense.
    pub fn request_timeout(&self) -> Result<Duration, ConfigError> {
        if self.request_timeout == 0 {
            return Err(config_error(
                "QUORUMKEY_REQUEST_TIMEOUT",
                "must be at least 1",
            ));
        }
        Ok(Duration::from_secs(self.request_timeout))
    }
}
