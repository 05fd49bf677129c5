//! Problems found in a spec, reported all at once, each with where it is: the file,
//! the JSON pointer inside the document and, where the loader knows it, line and column.

use std::fmt;

use crate::escape;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Generation cannot go on.
    Error,
    /// Worth fixing; the output is still right.
    Warning,
}

/// One problem in one spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The spec file, as the user named it.
    pub file: String,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// The JSON pointer of the offending value (empty for the whole document).
    pub pointer: String,
    /// What is wrong, in plain words.
    pub message: String,
}

impl Diagnostic {
    /// A problem at `pointer` in `file`.
    pub fn at(file: &str, pointer: &str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            file: file.to_owned(),
            position: None,
            pointer: pointer.to_owned(),
            message: message.into(),
        }
    }

    /// A warning at `pointer` in `file`.
    pub fn warning(file: &str, pointer: &str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::at(file, pointer, message)
        }
    }

    /// True for an error, false for a warning.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The same problem with a known line and column.
    pub fn with_position(mut self, line: usize, column: usize) -> Self {
        self.position = Some((line, column));
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Messages quote spec text and file names: shown on one line, never sent to the
        // terminal raw (a quoted line break could fake another diagnostic).
        writeln!(f, "{label}: {}", escape::terminal(&self.message))?;
        write!(f, "  --> {}", escape::terminal(&self.file))?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if !self.pointer.is_empty() {
            write!(f, " (at {})", escape::terminal(&self.pointer))?;
        }
        Ok(())
    }
}

/// Every problem found; the error type of the whole pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Adds one problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// `Ok(value)` when no error was reported, else all problems (warnings included),
    /// sorted and de-duplicated.
    pub fn into_result<T>(mut self, value: T) -> Result<T, Diagnostics> {
        if !self.has_errors() {
            Ok(value)
        } else {
            self.0.sort();
            self.0.dedup();
            Err(self)
        }
    }

    /// True when at least one problem is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// The warnings, sorted.
    pub fn warnings(&self) -> Vec<Diagnostic> {
        let mut w: Vec<Diagnostic> = self.0.iter().filter(|d| !d.is_error()).cloned().collect();
        w.sort();
        w.dedup();
        w
    }

    /// True when nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Self(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{d}")?;
        }
        let errors = self.0.iter().filter(|d| d.is_error()).count();
        let warnings = self.0.len() - errors;
        write!(f, "{errors} error{}", if errors == 1 { "" } else { "s" })?;
        if warnings > 0 {
            write!(
                f,
                ", {warnings} warning{}",
                if warnings == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Escapes one JSON-pointer reference token (RFC 6901).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `pointer` extended by one reference token. Called for every node the checks and the
/// bundler visit, so it allocates once and escapes only when it must.
pub fn child(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + 1 + token.len());
    out.push_str(pointer);
    out.push('/');
    if token.contains(['~', '/']) {
        out.push_str(&escape_token(token));
    } else {
        out.push_str(token);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_escapes_only_what_rfc_6901_escapes() {
        assert_eq!(child("", "channels"), "/channels");
        assert_eq!(child("/channels", "/hooks/{id}"), "/channels/~1hooks~1{id}");
        assert_eq!(child("/a", "x~y/z"), "/a/x~0y~1z");
        assert_eq!(child("/a", ""), "/a/");
    }
}
