//! The Node and Python client scripts of `tests/clients/`, run as child processes: shared by
//! the Engine.IO (`common`) and Socket.IO (`sio_common`) test helpers.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};
use tokio::time::{sleep, timeout, Instant};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or_else(|| panic!("examples/ has no parent"))
        .to_path_buf()
}

/// `tests/clients/`.
pub fn clients_dir() -> PathBuf {
    repo_root().join("tests").join("clients")
}

/// The Node binary: `$NODE`, else `node` on the `PATH`.
pub fn node_bin() -> PathBuf {
    std::env::var_os("NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from)
}

/// The Python of the test venv (`.venv/bin/python`, built by `scripts/setup-test-deps.sh`).
pub fn venv_python() -> PathBuf {
    repo_root().join(".venv").join("bin").join("python")
}

fn require(path: PathBuf) {
    assert!(
        path.exists(),
        "{} is missing: run scripts/setup-test-deps.sh",
        path.display()
    );
}

/// A client script running as a child process. Its stdout carries lines `TAG {json}` (such as
/// `READY {...}`, and a final `RESULT {...}`); anything else it prints is kept for failure messages. The process
/// is killed when this is dropped.
pub struct ClientProcess {
    name: String,
    child: Child,
    stdout: tokio::io::Lines<BufReader<ChildStdout>>,
    output: Arc<Mutex<String>>,
}

impl std::fmt::Debug for ClientProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientProcess")
            .field("name", &self.name)
            .finish()
    }
}

impl ClientProcess {
    /// Runs `node tests/clients/{script} {config}`.
    pub fn node(script: &str, config: &Value) -> Self {
        require(clients_dir().join("node_modules"));
        Self::spawn(node_bin(), script, config)
    }

    /// Runs `.venv/bin/python tests/clients/{script} {config}`.
    pub fn python(script: &str, config: &Value) -> Self {
        require(venv_python());
        Self::spawn(venv_python(), script, config)
    }

    fn spawn(program: PathBuf, script: &str, config: &Value) -> Self {
        let mut cmd = Command::new(&program);
        cmd.arg(clients_dir().join(script))
            .arg(config.to_string())
            .current_dir(clients_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        let stdout = child
            .stdout
            .take()
            .unwrap_or_else(|| panic!("no stdout pipe"));
        let stderr = child
            .stderr
            .take()
            .unwrap_or_else(|| panic!("no stderr pipe"));
        let output = Arc::new(Mutex::new(String::new()));
        let sink = output.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&line);
                    s.push('\n');
                }
            }
        });
        Self {
            name: format!("{} {script} {config}", program.display()),
            child,
            stdout: BufReader::new(stdout).lines(),
            output,
        }
    }

    /// Kills the process (SIGKILL, as a crashed client or a killed tab) and waits for it.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    /// Sends the process `signal` (`"STOP"`, `"CONT"`...) with `kill(1)`.
    pub async fn signal(&self, signal: &str) {
        if let Some(pid) = self.child.id() {
            let status = tokio::process::Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(pid.to_string())
                .status()
                .await;
            assert!(status.is_ok_and(|s| s.success()), "kill -{signal} {pid}");
        }
    }

    fn output(&self) -> String {
        self.output.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Reads stdout until a line `{tag} {json}` and returns the JSON; panics if the process
    /// ends or `within` passes first.
    pub async fn expect(&mut self, tag: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        let prefix = format!("{tag} ");
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match timeout(left, self.stdout.next_line()).await {
                Err(_) => {
                    sleep(Duration::from_millis(50)).await;
                    panic!(
                        "{}: no {tag} line within {within:?}; output:\n{}",
                        self.name,
                        self.output()
                    )
                }
                Ok(Ok(Some(line))) => line,
                Ok(Ok(None) | Err(_)) => {
                    let status = timeout(Duration::from_secs(2), self.child.wait()).await;
                    sleep(Duration::from_millis(50)).await;
                    panic!(
                        "{}: ended ({status:?}) before a {tag} line; output:\n{}",
                        self.name,
                        self.output()
                    )
                }
            };
            if let Some(json) = line.strip_prefix(&prefix) {
                return serde_json::from_str(json)
                    .unwrap_or_else(|e| panic!("{}: bad {tag} JSON {json:?}: {e}", self.name));
            }
            if let Ok(mut s) = self.output.lock() {
                s.push_str(&line);
                s.push('\n');
            }
        }
    }

    /// The next line `{tag} {json}`, whatever its tag; panics if the process ends or `within`
    /// passes first.
    pub async fn next(&mut self, within: Duration) -> (String, Value) {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match timeout(left, self.stdout.next_line()).await {
                Ok(Ok(Some(line))) => line,
                other => {
                    sleep(Duration::from_millis(50)).await;
                    panic!(
                        "{}: no line within {within:?} ({other:?}); output:\n{}",
                        self.name,
                        self.output()
                    )
                }
            };
            if let Some((tag, json)) = line.split_once(' ') {
                if let Ok(value) = serde_json::from_str(json) {
                    return (tag.to_owned(), value);
                }
            }
            if let Ok(mut s) = self.output.lock() {
                s.push_str(&line);
                s.push('\n');
            }
        }
    }

    /// The `RESULT` line, then the process's exit (bounded); panics unless the result says
    /// `"ok": true`.
    pub async fn result(&mut self, within: Duration) -> Value {
        let value = self.expect("RESULT", within).await;
        let _ = timeout(Duration::from_secs(2), self.child.wait()).await;
        assert!(
            value["ok"] == Value::Bool(true),
            "{}: {value}\noutput:\n{}",
            self.name,
            self.output()
        );
        value
    }
}

/// Runs a Node client script to its `RESULT` line.
pub async fn run_node(script: &str, config: &Value, within: Duration) -> Value {
    ClientProcess::node(script, config).result(within).await
}

/// Runs a Python client script to its `RESULT` line.
pub async fn run_python(script: &str, config: &Value, within: Duration) -> Value {
    ClientProcess::python(script, config).result(within).await
}
