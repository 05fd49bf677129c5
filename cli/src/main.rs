//! The `hookgen` command: regenerate the workspace crate, check it for drift, build a
//! standalone crate from any specs, validate specs, and the developer commands (`sign`,
//! `verify`, `listen`, `send-test`). The pipeline lives in the library; this file parses
//! arguments, prints and sets the exit code, and `dev.rs` holds the HTTP commands. Exit
//! code: 0 on success, 1 otherwise (bad usage, bad specs, drift, an invalid signature,
//! and even a bug: a panic is reported as an internal error, never 101).

mod dev;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use hookgen::{RuntimeDependency, Settings, SpecFile};

#[derive(Parser)]
#[command(
    name = "hookgen",
    version,
    about = "AsyncAPI 2.x and 3.x, and OpenAPI 3.1 webhooks → a Rust crate"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate `generated/` from `specs/` (no arguments), or build a crate from SPECs into --out.
    #[command(
        after_help = "Examples:\n  hookgen generate\n  hookgen generate --out ./my-webhooks specs/flyio.yaml specs/airmy.yaml"
    )]
    Generate {
        /// The workspace root (default: the nearest directory upwards with `specs/`).
        #[arg(long, conflicts_with = "out")]
        root: Option<PathBuf>,
        /// Write a standalone crate here instead of the workspace's `generated/`.
        #[arg(long, requires = "specs")]
        out: Option<PathBuf>,
        /// Write into --out even when it holds files of its own (they are left alone; a file
        /// Hookgen did not generate is never replaced).
        #[arg(long, requires = "out")]
        force: bool,
        /// Package name of a standalone crate.
        #[arg(long, default_value = "webhooks", requires = "out")]
        name: String,
        /// Path (as written into Cargo.toml) of `hookgen-runtime` for a standalone crate (default:
        /// this checkout's runtime, relative to --out; else the registry version 0.1).
        #[arg(long, requires = "out")]
        runtime_path: Option<String>,
        #[command(flatten)]
        refs: RefArgs,
        /// Spec files (YAML or JSON); `<stem>.overlay.yaml` beside each is applied.
        #[arg(requires = "out")]
        specs: Vec<PathBuf>,
    },
    /// Report every problem of each SPEC (structure, document rules, examples); exit 1 on errors.
    #[command(after_help = "Example:\n  hookgen validate specs/airmy.yaml specs/flyio.yaml")]
    Validate {
        /// Spec files (YAML or JSON); `<stem>.overlay.yaml` beside each is applied.
        #[arg(required = true)]
        specs: Vec<PathBuf>,
        #[command(flatten)]
        refs: RefArgs,
    },
    /// Print the AsyncAPI 3.0 form of a 2.x SPEC (its overlay applied) on standard output.
    #[command(after_help = "Example:\n  hookgen convert --to 3.0 specs/flyio.yaml > flyio.v3.yaml")]
    Convert {
        /// The version to convert to (only `3.0`).
        #[arg(long, value_parser = ["3.0"])]
        to: String,
        /// Write JSON instead of YAML.
        #[arg(long)]
        json: bool,
        /// The spec file (YAML or JSON); `<stem>.overlay.yaml` beside it is applied.
        spec: PathBuf,
        #[command(flatten)]
        refs: RefArgs,
    },
    /// Print the signature header(s) for a body (a file, or standard input).
    #[command(
        after_help = "Example:\n  hookgen sign --spec airmy --secret whsec_dev-secret-of-24-bytes event.json\n  echo -n '{}' | HOOKGEN_SECRET=fly-dev-secret-24-bytes hookgen sign --spec flyio"
    )]
    Sign {
        #[command(flatten)]
        key: KeyArgs,
        /// Message id, for schemes that sign one (default: a fresh `msg_…`).
        #[arg(long)]
        id: Option<String>,
        /// Unix timestamp, for schemes that sign one (default: now).
        #[arg(long)]
        timestamp: Option<i64>,
        /// The body (default: standard input).
        file: Option<PathBuf>,
    },
    /// Exit 0 when SIGNATURE is valid for the body, 1 with the reason otherwise.
    #[command(
        after_help = "Example:\n  hookgen verify --spec airmy --secret whsec_dev-secret-of-24-bytes --signature 7ae79d69... event.json"
    )]
    Verify {
        #[command(flatten)]
        key: KeyArgs,
        /// The signature header's value.
        #[arg(long)]
        signature: String,
        /// The message id header's value, for schemes that sign one.
        #[arg(long)]
        id: Option<String>,
        /// The timestamp header's value, for schemes that sign one.
        #[arg(long)]
        timestamp: Option<String>,
        /// The body (default: standard input).
        file: Option<PathBuf>,
    },
    /// Serve every channel of a spec on 127.0.0.1: verify, decode and print each delivery.
    #[command(
        after_help = "Example:\n  hookgen listen --spec airmy --secret whsec_dev-secret-of-24-bytes --port 8080"
    )]
    Listen {
        #[command(flatten)]
        key: KeyArgs,
        /// The port (0 picks a free one).
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// POST signed example messages of a spec to URL (one of each, or --message M).
    #[command(
        after_help = "Without a path in URL, each message goes to its channel's address under it.\nExample:\n  hookgen send-test --spec airmy --secret whsec_dev-secret-of-24-bytes --url http://127.0.0.1:8080"
    )]
    SendTest {
        #[command(flatten)]
        key: KeyArgs,
        /// Where to post: a full endpoint URL, or a base URL without path.
        #[arg(long)]
        url: String,
        /// Only this message (its name in the spec).
        #[arg(long)]
        message: Option<String>,
        /// Post this JSON body (a file, `-` for standard input) instead of the spec's
        /// examples: for specs without examples, such as GitHub's.
        #[arg(long)]
        body: Option<PathBuf>,
        /// The event to name in the channel's event header (GitHub's `X-GitHub-Event`),
        /// with --body.
        #[arg(long, requires = "body")]
        event: Option<String>,
    },
    /// The dead letters of a Redis delivery queue: list them, or put one back.
    #[command(
        after_help = "Examples:\n  hookgen queue --redis redis://127.0.0.1:6379 --stream deliveries dead\n  hookgen queue --redis redis://127.0.0.1:6379 --stream deliveries revive 1733140000000-0"
    )]
    Queue {
        /// The Redis server (`redis://host:port/db`).
        #[arg(long)]
        redis: String,
        /// The queue's stream.
        #[arg(long)]
        stream: String,
        #[command(subcommand)]
        action: QueueAction,
    },
    /// Exit 1 with a unified diff when `generated/` differs from what `specs/` produce.
    Check {
        /// The workspace root (default: the nearest directory upwards with `specs/`).
        #[arg(long)]
        root: Option<PathBuf>,
    },
}

/// Where `$ref`s may reach.
#[derive(clap::Args)]
struct RefArgs {
    /// The directory `$ref`s to other files may reach (default: each spec's own directory).
    #[arg(long)]
    ref_root: Option<PathBuf>,
    /// Read `$ref`s to URLs starting with URL_PREFIX from the local copies in DIR (Hookgen
    /// never fetches); repeatable.
    #[arg(long, value_name = "URL_PREFIX=DIR", value_parser = parse_ref_map)]
    ref_map: Vec<(String, PathBuf)>,
}

fn parse_ref_map(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((prefix, dir)) if prefix.contains("://") && !dir.is_empty() => {
            Ok((prefix.to_owned(), PathBuf::from(dir)))
        }
        _ => Err("expected URL_PREFIX=DIR, such as https://example.com/schemas/=./schemas".into()),
    }
}

/// What `hookgen queue` does.
#[derive(Subcommand)]
enum QueueAction {
    /// List the dead letters, oldest first: ticket, failures, path, reason.
    Dead {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Put a dead letter back in the queue, its attempts renewed.
    Revive {
        /// Its ticket, as `dead` lists it.
        ticket: String,
    },
}

/// Which spec's scheme, and which secret.
#[derive(clap::Args)]
struct KeyArgs {
    /// A spec name from `specs/` (`flyio`, `airmy`, …) or a path to a spec file.
    #[arg(long)]
    spec: String,
    /// The signing secret (default: the HOOKGEN_SECRET environment variable).
    #[arg(long, env = "HOOKGEN_SECRET", hide_env_values = true)]
    secret: String,
    /// The workspace root (default: the nearest directory upwards with `specs/`).
    #[arg(long)]
    root: Option<PathBuf>,
}

impl KeyArgs {
    /// The spec's file, or an error naming the specs there are.
    fn file(&self) -> Result<SpecFile> {
        if self.secret.is_empty() {
            bail!("the secret is empty");
        }
        let root = workspace_root(self.root.clone()).ok();
        Ok(hookgen_cli::find_spec(root.as_deref(), &self.spec)?)
    }

    /// The spec's signature scheme, or an error naming what is missing.
    fn scheme(&self) -> Result<hookgen_runtime::SignatureScheme> {
        let file = self.file()?;
        self.usable(scheme_of(&hookgen::__private::compile(&file)?, &file)?)
    }

    /// `scheme`, when it and the secret can verify something (no empty key).
    fn usable(
        &self,
        scheme: hookgen_runtime::SignatureScheme,
    ) -> Result<hookgen_runtime::SignatureScheme> {
        scheme
            .check()
            .and_then(|()| scheme.check_secret(self.secret.as_bytes()))
            .map_err(|e| anyhow::anyhow!("the secret cannot be used: {e}"))?;
        Ok(scheme)
    }

    /// The spec, ready for the HTTP commands, and its scheme.
    fn inspector(
        &self,
    ) -> Result<(
        hookgen_cli::inspect::Inspector,
        hookgen_runtime::SignatureScheme,
    )> {
        let file = self.file()?;
        let inspector = hookgen_cli::inspect::Inspector::new(&file)?;
        let scheme = self.usable(scheme_of(&inspector.spec, &file)?)?;
        Ok((inspector, scheme))
    }
}

fn scheme_of(
    spec: &hookgen::__private::ir::Spec,
    file: &SpecFile,
) -> Result<hookgen_runtime::SignatureScheme> {
    let Some(signature) = &spec.signature else {
        bail!(
            "{} declares no signature scheme (`x-hookgen.signature`)",
            file.display
        );
    };
    Ok(hookgen_cli::runtime_scheme(signature))
}

fn read_body(file: Option<&Path>) -> Result<Vec<u8>> {
    use std::io::Read as _;
    match file {
        Some(path) => std::fs::read(path).with_context(|| format!("reading {}", path.display())),
        None => {
            let mut body = Vec::new();
            std::io::stdin()
                .read_to_end(&mut body)
                .context("reading standard input")?;
            Ok(body)
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error in hookgen (please report it): {info}");
    }));
    match std::panic::catch_unwind(|| run(cli.command)) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            // Diagnostics print their own `error:` lines.
            if e.downcast_ref::<hookgen::Diagnostics>().is_some() {
                eprintln!("{e:#}");
            } else {
                eprintln!("error: {e:#}");
            }
            ExitCode::FAILURE
        }
        Err(_) => ExitCode::FAILURE,
    }
}

fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Generate {
            out: Some(out),
            force,
            name,
            runtime_path,
            refs,
            specs,
            ..
        } => {
            let files: Vec<SpecFile> = specs.iter().map(|p| spec_file(p, &refs)).collect();
            let runtime = runtime_path
                .map(RuntimeDependency::Path)
                .or_else(|| local_runtime(&out))
                .unwrap_or_else(|| RuntimeDependency::Version("0.1".to_owned()));
            let settings = Settings::default()
                .crate_name(name)
                .runtime(runtime)
                .command(format!(
                    "hookgen generate --out {} {}",
                    out.display(),
                    specs
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            let outputs = generate(&settings, &files)?;
            let write = if force {
                hookgen::write_files_beside
            } else {
                hookgen::write_files
            };
            let changed = write(&out, &outputs).with_context(|| {
                format!(
                    "writing {}",
                    hookgen::__private::escape::terminal(&out.display().to_string())
                )
            })?;
            eprintln!("{}: {} file(s) written", out.display(), changed.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate { root, .. } => {
            let root = workspace_root(root)?;
            let outputs =
                hookgen::generate(&Settings::default(), &hookgen::workspace_specs(&root)?)?;
            let dir = root.join("generated");
            let changed = hookgen::write_files(&dir, &outputs)
                .with_context(|| format!("writing {}", dir.display()))?;
            for path in &changed {
                eprintln!("updated generated/{}", path.display());
            }
            eprintln!(
                "generated/ is up to date ({} file(s) changed)",
                changed.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Convert {
            spec, json, refs, ..
        } => {
            let file = spec_file(&spec, &refs);
            let converted = hookgen::convert_to_v3(&file)?;
            let text = if json {
                serde_json::to_string_pretty(&converted)? + "\n"
            } else {
                serde_yaml::to_string(&converted)?
            };
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Validate { specs, refs } => {
            let mut failed = false;
            for path in &specs {
                if hookgen::__private::load::is_overlay(path) {
                    eprintln!("{}: an overlay, validated with its spec", path.display());
                    continue;
                }
                let file = spec_file(path, &refs);
                let diagnostics = hookgen::validate(&file);
                failed |= diagnostics.has_errors();
                if diagnostics.is_empty() {
                    eprintln!(
                        "{}: valid",
                        hookgen::__private::escape::terminal(&file.display)
                    );
                } else {
                    eprintln!("{diagnostics}");
                }
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Sign {
            key,
            id,
            timestamp,
            file,
        } => {
            let scheme = key.scheme()?;
            let body = read_body(file.as_deref())?;
            let timestamp = timestamp
                .unwrap_or_else(|| hookgen_runtime::Clock::now_unix(&hookgen_runtime::SystemClock));
            let id = id.unwrap_or_else(|| format!("msg_{timestamp:x}"));
            let signed = scheme
                .sign_delivery(key.secret.as_bytes(), &id, timestamp, &body)
                .map_err(|e| anyhow::anyhow!("cannot sign: {e}"))?;
            for (name, value) in signed.iter() {
                println!("{name}: {value}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            key,
            signature,
            id,
            timestamp,
            file,
        } => {
            let scheme = key.scheme()?;
            let body = read_body(file.as_deref())?;
            let request = hookgen_runtime::SignedRequest {
                signature: Some(&signature),
                id: id.as_deref(),
                timestamp: timestamp.as_deref(),
                body: &body,
            };
            match scheme.verify_request(
                &[key.secret.as_bytes()],
                &request,
                &hookgen_runtime::SystemClock,
            ) {
                Ok(()) => {
                    eprintln!("valid");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("invalid: {e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Listen { key, port } => {
            let (inspector, scheme) = key.inspector()?;
            dev::listen(inspector, scheme, key.secret.into_bytes(), port)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::SendTest {
            key,
            url,
            message,
            body,
            event,
        } => {
            let (inspector, scheme) = key.inspector()?;
            let body = match body {
                Some(path) => {
                    let stdin = path.as_os_str() == "-";
                    let bytes = read_body((!stdin).then_some(path.as_path()))?;
                    Some(serde_json::from_slice(&bytes).with_context(|| {
                        format!(
                            "--body {} is not JSON",
                            hookgen::__private::escape::terminal(&path.display().to_string())
                        )
                    })?)
                }
                None => None,
            };
            let choice = dev::TestChoice {
                message: message.as_deref(),
                event: event.as_deref(),
                body,
            };
            let failures =
                dev::send_test(&inspector, scheme, key.secret.into_bytes(), &url, &choice)?;
            Ok(if failures == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Queue {
            redis,
            stream,
            action,
        } => {
            use hookgen_runtime::queue::{DeliveryQueue as _, RedisQueue, Ticket};
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the runtime")?;
            runtime.block_on(async {
                let queue = RedisQueue::connect(&redis, &stream, "hookgen-cli").await?;
                match action {
                    QueueAction::Dead { limit } => {
                        for letter in queue.dead_letters(limit).await? {
                            println!(
                                "{}\t{} failures\t{}\t{}",
                                letter.ticket.0,
                                letter.queued.failures,
                                hookgen::__private::escape::terminal(&letter.queued.path),
                                hookgen::__private::escape::terminal(&letter.reason)
                            );
                        }
                        Ok(ExitCode::SUCCESS)
                    }
                    QueueAction::Revive { ticket } => {
                        if queue.revive(Ticket(ticket.clone())).await? {
                            eprintln!("{ticket}: back in the queue");
                            Ok(ExitCode::SUCCESS)
                        } else {
                            eprintln!(
                                "no dead letter {}",
                                hookgen::__private::escape::terminal(&ticket)
                            );
                            Ok(ExitCode::FAILURE)
                        }
                    }
                }
            })
        }
        Command::Check { root } => {
            let root = workspace_root(root)?;
            let outputs =
                hookgen::generate(&Settings::default(), &hookgen::workspace_specs(&root)?)?;
            let drift = hookgen::check_files(&root.join("generated"), &outputs)?;
            if drift.is_empty() {
                eprintln!("generated/ matches specs/");
                return Ok(ExitCode::SUCCESS);
            }
            for d in &drift {
                print!("{}", d.diff);
            }
            eprintln!(
                "generated/ is out of date in {} file(s); run `{}`",
                drift.len(),
                hookgen::WORKSPACE_COMMAND
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Runs the pipeline and prints its warnings; the files, or every problem.
fn generate(
    settings: &Settings,
    specs: &[SpecFile],
) -> Result<Vec<hookgen::OutputFile>, hookgen::Diagnostics> {
    let (files, warnings) = hookgen::generate_with_warnings(settings, specs)?;
    for warning in &warnings {
        eprintln!("{warning}\n");
    }
    Ok(files)
}

/// The given root, or the nearest directory from here upwards that has `specs/`.
fn workspace_root(root: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(root) = root {
        return Ok(root);
    }
    let cwd = std::env::current_dir().context("reading the current directory")?;
    match cwd.ancestors().find(|d| d.join("specs").is_dir()) {
        Some(dir) => Ok(dir.to_owned()),
        None => bail!(
            "no `specs/` directory here or above {}; pass --root",
            cwd.display()
        ),
    }
}

/// The runtime crate of the checkout this binary was built from, if it is still there,
/// as a path relative to the crate written into `out` (never an absolute path, which
/// would tie the crate to this machine).
fn local_runtime(out: &Path) -> Option<RuntimeDependency> {
    let runtime = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../runtime")
        .canonicalize()
        .ok()?;
    let relative = relative_path(&absolute(out)?, &runtime)?;
    Some(RuntimeDependency::Path(
        relative.to_string_lossy().replace('\\', "/"),
    ))
}

/// `path` made absolute with symlinks resolved, for the part of it that exists (the
/// output directory may not exist yet).
fn absolute(path: &Path) -> Option<PathBuf> {
    let path = std::path::absolute(path).ok()?;
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(existing.file_name()?.to_owned());
        existing = existing.parent()?;
    }
    let mut resolved = existing.canonicalize().ok()?;
    for part in rest.iter().rev() {
        resolved.push(part);
    }
    Some(resolved)
}

/// The path from the directory `from` to `to`, both absolute (`/a/b/out`, `/a/runtime`
/// → `../../runtime`); `None` across drives.
fn relative_path(from: &Path, to: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    if from.first() != to.first() {
        return None;
    }
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in common..from.len() {
        relative.push("..");
    }
    for part in &to[common..] {
        relative.push(part);
    }
    Some(relative)
}

/// The spec at `path`, its `$ref`s limited as `refs` says.
fn spec_file(path: &Path, refs: &RefArgs) -> SpecFile {
    let mut file = SpecFile::discover(path, display_name(path));
    if let Some(root) = &refs.ref_root {
        file = file.with_ref_root(root);
    }
    for (prefix, dir) in &refs.ref_map {
        file = file.with_ref_map(prefix.clone(), dir.clone());
    }
    file
}

fn display_name(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
