//! Measures what slow, unauthenticated clients cost a receiver: the memory a server
//! process (a generated `router()` under `receiver::serve`, default limits but a
//! connection limit above N) holds for N clients stalled in their headers, then for N
//! stalled in their bodies, and whether the deadlines free them.
//!
//! `cargo run --release --example slow_clients [N]` (default 2000). The server runs in a
//! child process (this program with `serve`), so its resident memory is its own.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("serve") => serve(),
        n => measure(n.and_then(|n| n.parse().ok()).unwrap_or(2000)),
    }
}

/// The server: prints its port, then serves until killed.
fn serve() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("{}", listener.local_addr().expect("address").port());
        let config = webhooks::receiver::ReceiverConfig::new(b"slow-clients-secret-2026".to_vec());
        let app = webhooks::flyio::router(Quiet, config).expect("config");
        let limits = webhooks::receiver::ServerLimits {
            max_connections: 100_000,
            ..Default::default()
        };
        webhooks::receiver::serve(listener, app, limits)
            .await
            .expect("serve");
    });
}

struct Quiet;
impl webhooks::flyio::Handler for Quiet {}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn open(port: u16, n: usize, request: &[u8]) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            stream.write_all(request).expect("write");
            stream
        })
        .collect()
}

/// How many of `streams` the server has closed, waiting at most `within` for each.
fn closed(streams: &mut [TcpStream], within: Duration) -> usize {
    use std::io::Read as _;
    let mut count = 0;
    for stream in streams {
        stream.set_read_timeout(Some(within)).expect("timeout");
        let mut buffer = [0u8; 512];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => {
                    count += 1;
                    break;
                }
                Ok(_) => continue,
                Err(_) => break,
            }
        }
    }
    count
}

fn measure(n: usize) {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe)
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .expect("server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("port");
    let port: u16 = line.trim().parse().expect("port number");
    let pid = child.id();
    std::thread::sleep(Duration::from_millis(300));
    let idle = rss_kib(pid);
    println!("server idle: {idle} KiB resident");

    let started = Instant::now();
    let mut headers = open(port, n, b"POST /extensions/events HTTP/1.1\r\nHost: a\r\n");
    std::thread::sleep(Duration::from_secs(1));
    let held = rss_kib(pid);
    println!(
        "{n} clients stalled in headers: {held} KiB ({:.1} KiB per connection)",
        (held.saturating_sub(idle)) as f64 / n as f64
    );
    let remaining = Duration::from_secs(15).saturating_sub(started.elapsed());
    let freed = closed(&mut headers, remaining);
    println!(
        "  closed by the header deadline: {freed}/{n} after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    drop(headers);
    std::thread::sleep(Duration::from_millis(500));

    let before = rss_kib(pid);
    let started = Instant::now();
    let mut bodies = open(
        port,
        n,
        b"POST /extensions/events HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n{\"id\":",
    );
    std::thread::sleep(Duration::from_secs(1));
    let held = rss_kib(pid);
    println!(
        "{n} clients stalled in bodies: {held} KiB ({:.1} KiB per connection)",
        (held.saturating_sub(before)) as f64 / n as f64
    );
    let remaining = Duration::from_secs(15).saturating_sub(started.elapsed());
    let freed = closed(&mut bodies, remaining);
    println!(
        "  answered 408 and closed by the read deadline: {freed}/{n} after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    drop(bodies);
    std::thread::sleep(Duration::from_millis(500));
    println!("server after both: {} KiB resident", rss_kib(pid));
    let _ = child.kill();
    let _ = child.wait();
}
