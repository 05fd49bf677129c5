//! An independent reader of what Hookgen writes, for the hostile-text tests and the
//! fuzz targets: it reads the emitted files the way rustdoc and cargo do (doc comments
//! unindented and parsed with pulldown-cmark, README tables, header lines) and reports
//! anything spec text could have turned into code, HTML or a new line. Written without
//! `hookgen::escape`, which it checks.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// The Markdown options rustdoc uses, plus heading attributes.
pub fn rustdoc_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// What a doc comment must never hold, as rustdoc's parser reads it.
pub fn runnable_or_raw(markdown: &str, options: Options) -> Option<String> {
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => {
                return Some("an indented code block".into());
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if info.as_ref() != "text" =>
            {
                return Some(format!("a code block marked {info:?}"));
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                return Some(format!("raw HTML {html:?}"));
            }
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                let lower = dest_url.to_ascii_lowercase();
                let scheme = lower.split_once(':').map(|(s, _)| s).unwrap_or("");
                if !scheme.is_empty()
                    && !scheme.contains(['/', '?', '#'])
                    && !["http", "https", "mailto"].contains(&scheme)
                {
                    return Some(format!("a link to {dest_url:?}"));
                }
            }
            _ => {}
        }
    }
    None
}

/// Each item's doc comment in `source` (runs of `///` or `//!` lines), unindented as
/// rustdoc unindents it.
pub fn doc_comments(source: &str) -> Vec<String> {
    let mut docs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut kind = "";
    for line in source.lines().chain([""]) {
        let trimmed = line.trim_start();
        let this = ["///", "//!"]
            .into_iter()
            .find(|p| trimmed.starts_with(p))
            .unwrap_or("");
        if this.is_empty() || this != kind {
            if !current.is_empty() {
                docs.push(unindent(&current));
                current.clear();
            }
            kind = this;
        }
        if !this.is_empty() {
            current.push(&trimmed[3..]);
        }
    }
    docs
}

pub fn unindent(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|l| l.chars().any(|c| !c.is_whitespace()))
        .map(|l| l.chars().take_while(|c| *c == ' ' || *c == '\t').count())
        .min()
        .unwrap_or(0);
    let lines: Vec<String> = lines
        .iter()
        .map(|l| l.chars().skip(indent).collect())
        .collect();
    lines.join("\n")
}

pub fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

/// The doc of each module declared in `src/lib.rs` as rustdoc sees it: the outer `///`
/// lines on its `mod` item followed by the inner `//!` lines of its file, one text.
fn module_docs(files: &[hookgen::OutputFile]) -> Vec<(String, String)> {
    let file = |path: &str| files.iter().find(|f| f.path.to_string_lossy() == path);
    let Some(root) = file("src/lib.rs") else {
        return Vec::new();
    };
    let lines: Vec<&str> = root.contents.lines().collect();
    let mut docs = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = line
            .trim()
            .strip_prefix("pub mod ")
            .and_then(|rest| rest.strip_suffix(';'))
        else {
            continue;
        };
        let mut outer: Vec<&str> = lines[..i]
            .iter()
            .rev()
            .map(|l| l.trim_start())
            .skip_while(|l| l.starts_with("#["))
            .take_while(|l| l.starts_with("///"))
            .map(|l| &l[3..])
            .collect();
        outer.reverse();
        let inner: Vec<&str> = file(&format!("src/{}.rs", name.trim_start_matches("r#")))
            .map(|f| {
                f.contents
                    .lines()
                    .skip_while(|l| !l.starts_with("//!"))
                    .take_while(|l| l.starts_with("//!"))
                    .map(|l| &l[3..])
                    .collect()
            })
            .unwrap_or_default();
        let joined: Vec<&str> = outer.into_iter().chain(inner).collect();
        docs.push((name.to_owned(), unindent(&joined)));
    }
    docs
}

/// Every problem of a generated crate's files.
pub fn problems(files: &[hookgen::OutputFile]) -> Vec<String> {
    let mut problems = Vec::new();
    for (module, doc) in module_docs(files) {
        for options in [rustdoc_options(), Options::empty()] {
            if let Some(problem) = runnable_or_raw(&doc, options) {
                problems.push(format!(
                    "module {module} (outer and inner docs joined): {problem} in:\n{doc}"
                ));
            }
        }
    }
    for file in files {
        let name = file.path.display().to_string();
        if let Some(c) = file.contents.chars().find(|c| hidden(*c)) {
            problems.push(format!("{name}: holds {c:?}"));
        }
        if name.ends_with(".rs") {
            if file.contents.contains("#[doc") || file.contents.contains("#![doc") {
                problems.push(format!("{name}: a doc attribute not written as a comment"));
            }
            for doc in doc_comments(&file.contents) {
                for options in [rustdoc_options(), Options::empty()] {
                    if let Some(problem) = runnable_or_raw(&doc, options) {
                        problems.push(format!("{name}: {problem} in:\n{doc}"));
                    }
                }
            }
            let header: Vec<&str> = file.contents.lines().take(2).collect();
            if !(header[0].starts_with("// @generated")
                && header[1].starts_with("// Regenerate with:"))
            {
                problems.push(format!("{name}: header lines broken: {header:?}"));
            }
        }
        if name == "Cargo.toml" {
            let lines: Vec<&str> = file.contents.lines().take(3).collect();
            let header_ok = lines.len() == 3
                && lines[0].starts_with("# @generated")
                && lines[1].starts_with("# Regenerate with:")
                && lines[2] == "[package]";
            if !header_ok {
                problems.push(format!("Cargo.toml: header broken:\n{}", file.contents));
            }
        }
        if name == "README.md" {
            problems.extend(readme_problems(&file.contents));
        }
    }
    problems
}

/// README tables keep seven columns on every row, and nothing in it is raw HTML but
/// its two header comments.
pub fn readme_problems(readme: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut cells = 0;
    let mut html = 0;
    for event in Parser::new_ext(readme, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::TableRow | Tag::TableHead) => cells = 0,
            Event::Start(Tag::TableCell) => cells += 1,
            Event::End(TagEnd::TableRow | TagEnd::TableHead) if cells != 7 => {
                problems.push(format!("README: a table row with {cells} cells"));
            }
            Event::Html(_) | Event::InlineHtml(_) => html += 1,
            Event::Start(Tag::CodeBlock(_)) => problems.push("README: a code block".into()),
            _ => {}
        }
    }
    if html != 2 {
        problems.push(format!(
            "README: {html} HTML lines (2 header comments expected):\n{readme}"
        ));
    }
    problems
}
