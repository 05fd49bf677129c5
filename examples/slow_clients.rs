//! Measures what slow, idle or stalled clients cost a receiver under the attacks that
//! maximize each figure, with the default limits (a generated `router()` under
//! `receiver::serve`, `ServerLimits::default()` and `ReceiverConfig` defaults), except
//! the per-address limit, turned off so that clients from one loopback address stand for
//! as many attackers' addresses:
//!
//! 1. N clients stalled in their request headers;
//! 2. N clients that send all but the last byte of a 1 MiB body and stall;
//! 3. N keep-alive clients that send a tiny request and idle, again and again;
//!
//! and, during each, how long a real signed delivery waits for its 204.
//!
//! `cargo run --release --example slow_clients [N]` (default 1024). The server runs in a
//! child process (this program with `serve`), so its resident memory is its own.

use std::io::{BufRead, BufReader, Read as _, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &[u8] = b"slow-clients-secret-2026";

fn main() {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("serve") => serve(),
        n => measure(n.and_then(|n| n.parse().ok()).unwrap_or(1024)),
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
        let config = webhooks::receiver::ReceiverConfig::new(SECRET.to_vec());
        let app = webhooks::flyio::router(Quiet, config).expect("config");
        let limits = webhooks::receiver::ServerLimits {
            max_connections_per_address: None,
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

/// `n` connections, each having written `request` (as much of it as the server takes).
fn open(port: u16, n: usize, request: &[u8]) -> Vec<TcpStream> {
    (0..n)
        .filter_map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
            stream
                .set_write_timeout(Some(Duration::from_millis(200)))
                .ok()?;
            let _ = stream.write_all(request);
            Some(stream)
        })
        .collect()
}

/// A signed delivery on a new connection: how long until its status line, and which.
fn real_delivery(port: u16) -> (Duration, String) {
    let body =
        br#"{"specversion":"1.0","type":"io.fly.machine.started","source":"s","id":"evt_1"}"#;
    let request = format!(
        "POST /extensions/events HTTP/1.1\r\nHost: a\r\nConnection: close\r\n{}: {}\r\nContent-Length: {}\r\n\r\n",
        webhooks::flyio::SIGNATURE_HEADER,
        webhooks::flyio::sign(SECRET, body),
        body.len()
    );
    let started = Instant::now();
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return (started.elapsed(), "connect failed".into());
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = stream.write_all(request.as_bytes());
    let _ = stream.write_all(body);
    let mut status = [0u8; 12];
    match stream.read_exact(&mut status) {
        Ok(()) => (
            started.elapsed(),
            String::from_utf8_lossy(&status[9..]).into_owned(),
        ),
        Err(e) => (started.elapsed(), e.to_string()),
    }
}

/// How many of `streams` the server has closed (or answered), waiting at most `within`.
fn closed(streams: &mut [TcpStream], within: Duration) -> usize {
    let deadline = Instant::now() + within;
    let mut count = 0;
    for stream in streams {
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = stream.set_read_timeout(Some(left.max(Duration::from_millis(1))));
        let mut buffer = [0u8; 512];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => {
                    count += 1;
                    break;
                }
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    count += 1;
                    break;
                }
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

    // 1. Stalled headers.
    let started = Instant::now();
    let mut headers = open(port, n, b"POST /extensions/events HTTP/1.1\r\nHost: a\r\n");
    std::thread::sleep(Duration::from_secs(1));
    let held = rss_kib(pid);
    let (waited, status) = real_delivery(port);
    println!(
        "1. {n} clients stalled in headers: {held} KiB resident ({:.1} KiB per connection); a real delivery: {status} after {:.2} s",
        held.saturating_sub(idle) as f64 / n as f64,
        waited.as_secs_f64()
    );
    let remaining = Duration::from_secs(15).saturating_sub(started.elapsed());
    let freed = closed(&mut headers, remaining);
    println!(
        "   closed (shed while slots ran short, or by the header deadline): {freed}/{} after {:.1} s",
        headers.len(),
        started.elapsed().as_secs_f64()
    );
    drop(headers);
    std::thread::sleep(Duration::from_millis(500));

    // 2. Stalled full bodies: all but the last byte of 1 MiB.
    let before = rss_kib(pid);
    let started = Instant::now();
    let mut request =
        b"POST /extensions/events HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n".to_vec();
    request.extend(std::iter::repeat_n(b' ', 1_048_575));
    let mut bodies = open(port, n, &request);
    std::thread::sleep(Duration::from_secs(2));
    let held = rss_kib(pid);
    let (waited, status) = real_delivery(port);
    println!(
        "2. {n} clients stalled one byte short of 1 MiB bodies: {held} KiB resident ({} KiB more than before); a real delivery: {status} after {:.2} s",
        held.saturating_sub(before),
        waited.as_secs_f64()
    );
    let remaining = Duration::from_secs(15).saturating_sub(started.elapsed());
    let freed = closed(&mut bodies, remaining);
    println!(
        "   answered (503 over the body budget, else 408) and closed: {freed}/{} after {:.1} s",
        bodies.len(),
        started.elapsed().as_secs_f64()
    );
    drop(bodies);
    std::thread::sleep(Duration::from_millis(500));

    // 3. Cheap keep-alive clients: a tiny request, then idle, every 8 s.
    let tiny = b"POST /nowhere HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
    let mut keep = open(port, n, tiny);
    let mut worst = Duration::ZERO;
    let mut statuses = Vec::new();
    let started = Instant::now();
    for round in 0..3 {
        std::thread::sleep(Duration::from_secs(if round == 0 { 1 } else { 7 }));
        let (waited, status) = real_delivery(port);
        worst = worst.max(waited);
        statuses.push(status);
        for stream in &mut keep {
            let _ = stream.write_all(tiny);
        }
    }
    let open_after = n - closed(&mut keep, Duration::from_millis(200));
    println!(
        "3. {n} keep-alive clients, a tiny request every 8 s: real deliveries {statuses:?}, the slowest after {:.2} s; {open_after} of their connections still open after {:.0} s",
        worst.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    drop(keep);
    std::thread::sleep(Duration::from_millis(500));
    println!("server after all: {} KiB resident", rss_kib(pid));
    let _ = child.kill();
    let _ = child.wait();
}
