//! Runs the real `quorumkey-server` binary on port 0 and waits for its "listening on" line
//! (the Juicebox software-realm runner's pattern). Logs are collected for inspection.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use super::{SERVER_ID, test_issuer};

/// A running server process.
pub struct Spawned {
    child: Child,
    reader: Option<std::thread::JoinHandle<()>>,
    pub addr: SocketAddr,
    pub logs: Arc<Mutex<Vec<String>>>,
}

/// The environment of a server using `data_dir`, the test issuer's keys and `database_url`.
pub fn test_env(data_dir: &Path, database_url: &str) -> Vec<(String, String)> {
    std::fs::create_dir_all(data_dir).unwrap();
    let jwks = data_dir.join("issuers.jwks.json");
    if !jwks.exists() {
        std::fs::write(&jwks, test_issuer().jwks()).unwrap();
    }
    [
        ("QUORUMKEY_DATA_DIR", data_dir.display().to_string()),
        ("QUORUMKEY_DATABASE_URL", database_url.to_owned()),
        ("QUORUMKEY_SERVER_ID", SERVER_ID.to_owned()),
        ("QUORUMKEY_JWKS", jwks.display().to_string()),
        ("QUORUMKEY_ISSUERS", format!("app={}", test_issuer().issuer)),
        ("QUORUMKEY_USER_BURST", "0".to_owned()),
        ("QUORUMKEY_ADDRESS_BURST", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

impl Spawned {
    /// Starts `quorumkey-server serve` on 127.0.0.1:0 with exactly `env` (plus PATH).
    pub fn start(env: &[(String, String)], cwd: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quorumkey-server"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("QUORUMKEY_BIND", "127.0.0.1:0")
            .env(
                "RUST_LOG",
                std::env::var("SERVER_LOG").unwrap_or_else(|_| "debug".into()),
            )
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn quorumkey-server");
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = Arc::clone(&logs);
        let reader = std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr: String = rest
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '"')
                        .collect();
                    if let (Some(tx), Ok(addr)) = (tx.take(), addr.parse::<SocketAddr>()) {
                        let _ = tx.send(addr);
                    }
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the server did not start:\n{}",
                    logs.lock().unwrap().join("\n")
                );
            }
        };
        Self {
            child,
            reader: Some(reader),
            addr,
            logs,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.drain();
    }

    /// Waits for the log reader to see the end of the output.
    fn drain(&mut self) {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }

    /// SIGTERM, then wait for the exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        self.signal_term();
        self.wait()
    }

    /// Sends SIGTERM and returns at once.
    pub fn signal_term(&self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
    }

    /// Waits for the process to exit and its log to end.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        let status = self.child.wait().unwrap();
        self.drain();
        status
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking HTTP client for spawned servers.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// A response: status and body.
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: &[u8],
) -> Result<(u16, Vec<u8>), ureq::Error> {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    if !body.is_empty() {
        request = request.header("content-type", "application/octet-stream");
    }
    let request = request.body(body.to_vec()).unwrap();
    let mut response = agent.run(request)?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_vec()?;
    Ok((status, body))
}

/// A directory for a test's server state.
pub fn temp_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    (dir, data)
}
