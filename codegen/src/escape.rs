//! The one way outside text reaches what Hookgen writes: spec descriptions, titles,
//! names and file names become doc comments, Markdown, comment lines or TOML strings
//! only through these functions, each of which returns text that cannot change the
//! structure around it.
//!
//! - [`rustdoc`]: Markdown for doc comments. rustdoc parses docs with pulldown-cmark and
//!   runs every code block not marked `text` (or another non-Rust language) as a
//!   doctest, so spec text must never hold a runnable block. Parsed with the same
//!   parser and options: fenced blocks become ```` ```text ````, indented blocks are
//!   fenced as text, raw HTML is escaped, links to anything but `http`, `https`,
//!   `mailto` or a relative address are unlinked, control and direction characters are
//!   shown as `\u{..}`. Edits can change how the rest parses (an escaped `<pre>` block
//!   may leave an indented block behind), so the text is parsed again until nothing is
//!   left to change; text that does not settle in a few passes is shown as one
//!   ```` ```text ```` block.
//! - [`code`]: an inline code span of any text.
//! - [`markdown_line`], [`markdown_code`]: plain text and code on one Markdown line
//!   (README headings and table cells: no line breaks, `|` escaped).
//! - [`line()`]: one line for a `//` or `#` comment. [`html_comment`]: inside `<!-- -->`.
//! - [`toml_string`]: a TOML basic string.
//! - [`terminal`]: untrusted text printed to a terminal (no escape sequences).

use std::fmt::Write as _;
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};

/// How many times [`rustdoc`] re-parses its own edits before falling back to one text block.
const MAX_PASSES: usize = 8;

/// The Markdown options rustdoc renders and extracts doctests with.
fn rustdoc_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Spec text (Markdown) made inert for a doc comment: the result holds no runnable code
/// block, no raw HTML, no script link and no control or direction character, and its
/// lines are already unindented the way rustdoc unindents a doc comment, so what this
/// module parsed is what rustdoc will parse. Lines are separated by `\n`.
pub fn rustdoc(text: &str) -> String {
    let text = unindent(&visible(text));
    if plainly_inert(&text) {
        return text.trim_end_matches('\n').to_owned();
    }
    let mut current = text.clone();
    for _ in 0..MAX_PASSES {
        // Inert under rustdoc's options and under plain CommonMark, so a change in the
        // extensions rustdoc enables cannot bring a block back to life.
        let edits = match edits(&current, rustdoc_options()) {
            Some(found) if found.is_empty() => edits(&current, Options::empty()),
            other => other,
        };
        match edits {
            Some(edits) if edits.is_empty() => return current.trim_end_matches('\n').to_owned(),
            Some(edits) => current = apply(&current, edits),
            None => break,
        }
    }
    text_block(&text)
}

/// Whether `text` holds nothing [`edits`] could change, without parsing it: every code
/// block needs a fence (`` ` `` or `~`) or an indent of four columns (a tab, or four
/// spaces in a row, as inside a list item or after `>`), HTML and autolinks need `<`,
/// and links, images and footnotes need `[`. Most descriptions are such prose; the
/// property test `plain_text_needs_no_parse` holds this to the parser.
fn plainly_inert(text: &str) -> bool {
    !text.contains(['`', '~', '<', '[', '\t']) && !text.contains("    ")
}

/// Width of a wrapped doc paragraph line, after `/// `.
pub const DOC_WIDTH: usize = 88;

/// Markdown as [`rustdoc`] returns it, paragraph lines wrapped at `width` for people
/// reading the source: only plain paragraph and list-item lines outside code blocks,
/// and only before a word that starts with a letter or a digit (and is no `1.`), so a
/// new line can never start a heading, list, quote, fence, table, HTML block or setext
/// underline, and never after a `\` (a hard break) or a `:` (a link definition may
/// continue on the next line). Lines with table cells, links or definitions, HTML,
/// escapes or multi-backtick spans stay whole. Rendered, the text is the same.
pub fn wrap_markdown(text: &str, width: usize) -> String {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for line in text.split('\n') {
        let trimmed = line.trim_start();
        if let Some(marker) = fence {
            if trimmed.starts_with(marker) {
                fence = None;
            }
            out.push(line.to_owned());
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(if trimmed.starts_with("```") {
                "```"
            } else {
                "~~~"
            });
            out.push(line.to_owned());
            continue;
        }
        let indent = list_marker_width(line);
        // Only prose is wrapped: no table cells, links, HTML, escapes or long code fences.
        let plain = !line.contains(['|', '[', ']', '<', '>', '\\'])
            && !line.contains("``")
            && !line.contains("~~")
            && (indent.is_some()
                || line
                    .chars()
                    .next()
                    .is_some_and(|c| !c.is_whitespace() && !"#>[".contains(c)));
        // A list item's text must itself start as prose (`- - x` is a nested list).
        let content = &line[indent.unwrap_or(0)..];
        let plain = plain && starts_safely(content.split(' ').next().unwrap_or(""));
        if !plain || line.chars().count() <= width {
            out.push(line.to_owned());
            continue;
        }
        let continuation = " ".repeat(indent.unwrap_or(0));
        let mut current = String::new();
        for (n, word) in line.split(' ').enumerate() {
            let can_break = n > 0
                && !current.ends_with('\\')
                && !current.ends_with(':')
                && current.chars().count() > continuation.len()
                && starts_safely(word);
            if can_break && current.chars().count() + 1 + word.chars().count() > width {
                out.push(current.trim_end().to_owned());
                current = format!("{continuation}{word}");
            } else {
                if n > 0 {
                    current.push(' ');
                }
                current.push_str(word);
            }
        }
        out.push(current);
    }
    out.join("\n")
}

/// The width of a list item's marker and its space (`- `, `12. `), for continuation lines.
fn list_marker_width(line: &str) -> Option<usize> {
    if ["- ", "* ", "+ "].iter().any(|m| line.starts_with(m)) {
        return Some(2);
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    (digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") ")))
        .then_some(digits + 2)
}

/// A word a wrapped line may start with: a letter, or a digit not followed by `.`/`)`.
fn starts_safely(word: &str) -> bool {
    match word.chars().next() {
        Some(c) if c.is_alphabetic() => true,
        Some(c) if c.is_ascii_digit() => {
            let rest = word.trim_start_matches(|c: char| c.is_ascii_digit());
            !(rest.starts_with('.') || rest.starts_with(')'))
        }
        _ => false,
    }
}

/// An inline code span showing `text` exactly (line breaks and control characters
/// escaped), fenced by more backticks than any run inside it.
pub fn code(text: &str) -> String {
    let text = one_line(text);
    let fence = "`".repeat(longest_run(&text, '`') + 1);
    // A span that starts or ends with a backtick needs a space between it and the fence.
    if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Plain text on one Markdown line (a heading or a table cell): line breaks become
/// spaces, and every character Markdown or a table would read as syntax is escaped.
pub fn markdown_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(&text.replace(['\r', '\n'], " ")).chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// [`code`] for one Markdown table cell: `|` is escaped, which GitHub-flavoured tables
/// require even inside code spans.
pub fn markdown_code(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// One line of a `//` or `#` comment: line breaks and control characters are shown as
/// escapes, so nothing after them starts a new line of code or configuration.
pub fn line(text: &str) -> String {
    one_line(text)
}

/// Text inside an HTML comment (`<!-- … -->`) on one line: nothing in it ends the comment.
pub fn html_comment(text: &str) -> String {
    one_line(text)
        .replace("--!>", "--!&gt;")
        .replace("-->", "--&gt;")
}

/// A TOML basic string, quotes included.
pub fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || is_hidden(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Untrusted text for a terminal: control characters (escape sequences, carriage
/// returns, bells) and direction overrides are shown as `\u{..}`; line breaks too,
/// so one value is one line.
pub fn terminal(text: &str) -> String {
    one_line(text)
}

/// Whether `c` is invisible yet changes how text around it reads: direction marks,
/// overrides and isolates, line and paragraph separators, the byte order mark.
fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{FEFF}'
    )
}

fn push_escaped(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// Line breaks (`\r\n`, `\r`, `\n`) normalized to `\n`; other control characters and
/// hidden characters shown as `\u{..}`; tabs kept.
fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() || is_hidden(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Everything shown on one line: line breaks and control characters escaped too.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push(' '),
            c if c.is_control() || is_hidden(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Removes the indentation every non-blank line shares, counting spaces and tabs as
/// one character each (as rustdoc does for a doc comment), blanks whitespace-only
/// lines and drops trailing blank lines.
fn unindent(text: &str) -> String {
    let blank = |l: &str| l.chars().all(char::is_whitespace);
    let indent = text
        .lines()
        .filter(|l| !blank(l))
        .map(|l| l.chars().take_while(|c| *c == ' ' || *c == '\t').count())
        .min()
        .unwrap_or(0);
    let mut lines: Vec<&str> = text
        .lines()
        .map(|l| {
            if blank(l) {
                ""
            } else {
                // The first `indent` characters are spaces or tabs, one byte each.
                &l[indent..]
            }
        })
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// The longest run of `c` in `text`.
fn longest_run(text: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for x in text.chars() {
        run = if x == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// The whole text as one `text` block, fenced by more backticks than any run inside.
fn text_block(text: &str) -> String {
    let fence = "`".repeat(longest_run(text, '`').max(2) + 1);
    format!("{fence}text\n{text}\n{fence}")
}

/// A change to the source: replace `range` with `with`.
struct Edit {
    range: Range<usize>,
    with: String,
}

/// The edits that make `text` inert, `Some(vec![])` when it already is, or `None`
/// when it holds something these edits cannot reach (an indented code block inside a
/// list or quote).
fn edits(text: &str, options: Options) -> Option<Vec<Edit>> {
    let mut edits = Vec::new();
    let mut containers = 0usize;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        match event {
            Event::Start(
                Tag::BlockQuote(_) | Tag::List(_) | Tag::Item | Tag::FootnoteDefinition(_),
            ) => {
                containers += 1;
            }
            Event::End(
                TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item | TagEnd::FootnoteDefinition,
            ) => {
                containers = containers.saturating_sub(1);
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if info.as_ref() != "text" =>
            {
                edits.push(fence_info(text, range)?);
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => {
                if containers > 0 {
                    return None;
                }
                edits.extend(fence_indented(text, range));
            }
            Event::Html(_) | Event::InlineHtml(_) => {
                for (at, _) in text[range.clone()].match_indices('<') {
                    let at = range.start + at;
                    edits.push(Edit {
                        range: at..at + 1,
                        with: "&lt;".to_owned(),
                    });
                }
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) if !safe_url(&dest_url) => {
                edits.push(unlink(text, range.start, link_type, false)?);
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                ..
            }) if !safe_url(&dest_url) => {
                edits.push(unlink(text, range.start, link_type, true)?);
            }
            _ => {}
        }
    }
    Some(edits)
}

/// Replaces the info string of the fenced block starting at `range` with `text`.
fn fence_info(text: &str, range: Range<usize>) -> Option<Edit> {
    let opening = &text[range.start..];
    let indent = opening.len() - opening.trim_start_matches(' ').len();
    let after_indent = &opening[indent..];
    let fence_char = after_indent
        .chars()
        .next()
        .filter(|c| *c == '`' || *c == '~')?;
    let fence = after_indent.len() - after_indent.trim_start_matches(fence_char).len();
    let info_start = range.start + indent + fence;
    let info_end = text[info_start..]
        .find('\n')
        .map_or(text.len(), |at| info_start + at);
    Some(Edit {
        range: info_start..info_end,
        with: "text".to_owned(),
    })
}

/// Fences the top-level indented block at `range` as text, keeping its lines.
fn fence_indented(text: &str, range: Range<usize>) -> [Edit; 2] {
    let start = text[..range.start].rfind('\n').map_or(0, |at| at + 1);
    let end = range.end.max(start);
    let fence = "`".repeat(longest_run(&text[start..end], '`').max(2) + 1);
    let close = if text[..end].ends_with('\n') {
        format!("{fence}\n")
    } else {
        format!("\n{fence}\n")
    };
    [
        Edit {
            range: start..start,
            with: format!("{fence}text\n"),
        },
        Edit {
            range: end..end,
            with: close,
        },
    ]
}

/// Makes the link or image starting at `start` plain text by escaping its opening.
fn unlink(text: &str, start: usize, link_type: LinkType, image: bool) -> Option<Edit> {
    let bracket = if image { start + 1 } else { start };
    match link_type {
        LinkType::Autolink | LinkType::Email => (text[start..].starts_with('<')).then(|| Edit {
            range: start..start + 1,
            with: "&lt;".to_owned(),
        }),
        _ => (text[bracket..].starts_with('[')).then(|| Edit {
            range: bracket..bracket,
            with: "\\".to_owned(),
        }),
    }
}

/// Whether a link may point at `url`: `http`, `https`, `mailto`, or no scheme at all
/// (a relative address, a fragment, an intra-doc path).
fn safe_url(url: &str) -> bool {
    match url.find([':', '/', '?', '#']) {
        Some(at) if url[at..].starts_with(':') => {
            let scheme = url[..at].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto")
        }
        _ => true,
    }
}

/// Applies non-overlapping edits (later ones overlapping an earlier one wait for the
/// next pass).
fn apply(text: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + 16 * edits.len());
    let mut at = 0;
    for edit in edits {
        if edit.range.start < at {
            continue;
        }
        out.push_str(&text[at..edit.range.start]);
        out.push_str(&edit.with);
        at = edit.range.end;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The shortcut in [`rustdoc`] skips only texts the parser would leave alone,
        /// under both option sets. Texts are drawn from Markdown's block and inline
        /// syntax, so most are far from prose.
        #[test]
        fn plain_text_needs_no_parse(text in "([ >*_+=#:!()|\\\\&;1.\n-]|[ae]{1,3}|    |http:|javascript:){0,40}") {
            let text = unindent(&visible(&text));
            if plainly_inert(&text) {
                for options in [rustdoc_options(), Options::empty()] {
                    let edits = edits(&text, options);
                    prop_assert!(matches!(&edits, Some(e) if e.is_empty()), "{text:?}");
                }
            }
        }
    }

    fn check(input: &str, expect: &str) {
        assert_eq!(rustdoc(input), expect, "input: {input:?}");
    }

    #[test]
    fn plain_markdown_is_kept() {
        check(
            "A *machine* [started](https://fly.io).\n\n- one\n- two",
            "A *machine* [started](https://fly.io).\n\n- one\n- two",
        );
    }

    #[test]
    fn fenced_blocks_become_text() {
        check("```\nfs::write()\n```", "```text\nfs::write()\n```");
        check("```rust,should_panic\nx\n```", "```text\nx\n```");
        check("~~~json\n{}\n~~~", "~~~text\n{}\n~~~");
        check("> ```rust\n> x\n> ```", "> ```text\n> x\n> ```");
        check(
            "- item\n\n  ```\n  x\n  ```",
            "- item\n\n  ```text\n  x\n  ```",
        );
    }

    #[test]
    fn indented_blocks_are_fenced_as_text() {
        check(
            "Run:\n\n    std::process::exit(1);\n\nDone.",
            "Run:\n\n```text\n    std::process::exit(1);\n```\n\nDone.",
        );
        check(
            "Run:\n\n    ```\n    x",
            "Run:\n\n````text\n    ```\n    x\n````",
        );
    }

    #[test]
    fn an_indented_block_inside_a_list_makes_the_whole_text_a_block() {
        let out = rustdoc("- item\n\n        code");
        assert_eq!(out, "```text\n- item\n\n        code\n```");
    }

    #[test]
    fn html_is_escaped_and_script_links_unlinked() {
        check(
            "<script>alert(1)</script>",
            "&lt;script>alert(1)&lt;/script>",
        );
        check("a <b>bold</b> word", "a &lt;b>bold&lt;/b> word");
        check("[x](javascript:alert(1))", "\\[x](javascript:alert(1))");
        check("![x](data:text/html,hi)", "!\\[x](data:text/html,hi)");
        check("<javascript:alert(1)>", "&lt;javascript:alert(1)>");
        check(
            "<https://fly.io> [y](/relative) [z](#frag)",
            "<https://fly.io> [y](/relative) [z](#frag)",
        );
    }

    #[test]
    fn common_indentation_is_removed_as_rustdoc_does() {
        // Every line indented: rustdoc would unindent it, so it is a paragraph, not code.
        check("    a\n    b", "a\nb");
        check("\tx\n\t  y", "x\n  y");
    }

    #[test]
    fn control_and_direction_characters_are_shown() {
        check("a\rb\r\nc", "a\nb\nc");
        check("x\u{202E}y\u{1b}[31m", "x\\u{202e}y\\u{1b}[31m");
    }

    #[test]
    fn an_escaped_pre_block_that_leaves_code_behind_settles() {
        let out = rustdoc("<pre>\n\n    code\n</pre>");
        assert!(!out.contains("<pre"), "{out}");
        assert!(out.contains("```text"), "{out}");
    }

    #[test]
    fn code_spans_hold_any_text() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a\nb"), "`a\\nb`");
        assert_eq!(code(""), "`  `");
    }

    #[test]
    fn lines_and_strings_cannot_break_out() {
        assert_eq!(line("a\n[dependencies]"), "a\\n[dependencies]");
        assert_eq!(html_comment("x --> y --!> -- z"), "x --&gt; y --!&gt; -- z");
        assert_eq!(toml_string("a\"b\\\n\u{7f}"), "\"a\\\"b\\\\\\n\\u007F\"");
        assert_eq!(markdown_line("a | b\n# c"), "a \\| b \\# c");
        assert_eq!(markdown_code("a|b"), "`a\\|b`");
        assert_eq!(terminal("\u{1b}]0;title\u{7}"), "\\u{1b}]0;title\\u{7}");
    }
}
