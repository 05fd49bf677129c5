//! A real `redis-server` for the tests that need one: started on a free loopback port,
//! configured as README asks for the guard and the queue (an append-only file in a
//! directory of its own, no eviction), stopped (killed) and its files removed when
//! dropped; [`RedisServer::start_with`] gives other settings. `scripts/test` installs the Debian
//! package `redis-server` when it is missing; without it these tests fail and say so.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process on loopback.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
    settings: Vec<String>,
    dir: std::path::PathBuf,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it accepts connections.
    pub fn start() -> Self {
        Self::start_with(&["--appendonly", "yes", "--appendfsync", "everysec"])
    }

    /// Starts a server with these settings instead (for example `--save ""
    /// --appendonly no`: nothing survives a restart).
    pub fn start_with(settings: &[&str]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let dir = std::env::temp_dir().join(format!("hookgen-redis-{}-{port}", std::process::id()));
        let mut server = Self {
            port,
            child: None,
            settings: settings.iter().map(|s| (*s).to_owned()).collect(),
            dir,
        };
        server.restart();
        server
    }

    /// The URL a client connects with.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (Redis is down until [`restart`](Self::restart)).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // Wait until the port refuses connections.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.accepts() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server again on the same port, empty (its files removed).
    pub fn restart(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
        std::fs::create_dir_all(&self.dir).expect("a directory for redis-server");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", ""])
            .arg("--dir")
            .arg(&self.dir)
            .args(&self.settings)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start redis-server ({e}): run `scripts/test`, which installs the \
                     Debian package redis-server, or install it yourself"
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.accepts() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start within 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn accepts(&self) -> bool {
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
