//! Positions: maps JSON pointers back to line and column in the YAML or JSON source, so
//! diagnostics read `specs/x.yaml:12:7`. Built only when there is something to report,
//! from yaml-rust2's event stream (no recursion, aliases never expanded).

use std::collections::BTreeMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diagnostics::{Diagnostics, child};

/// 1-based line and column of every node of a document, by JSON pointer. A mapping
/// entry is placed at its key.
#[derive(Debug, Default)]
pub struct PositionIndex {
    positions: BTreeMap<String, (usize, usize)>,
}

impl PositionIndex {
    /// Indexes `text`; a text that does not parse gives an empty index.
    pub fn new(text: &str) -> Self {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        // Errors are reported by the real loader; positions are best effort.
        let _ = parser.load(&mut builder, false);
        Self {
            positions: builder.positions,
        }
    }

    /// The position of `pointer`, or of its nearest ancestor that exists.
    pub fn find(&self, pointer: &str) -> Option<(usize, usize)> {
        let mut pointer = pointer;
        loop {
            if let Some(position) = self.positions.get(pointer) {
                return Some(*position);
            }
            pointer = &pointer[..pointer.rfind('/')?];
        }
    }
}

/// Fills in the line and column of every diagnostic about `file` (whose source is `text`).
pub fn locate(diagnostics: &mut Diagnostics, file: &str, text: &str) {
    if diagnostics
        .0
        .iter()
        .all(|d| d.position.is_some() || d.file != file)
    {
        return;
    }
    let index = PositionIndex::new(text);
    for d in diagnostics
        .0
        .iter_mut()
        .filter(|d| d.position.is_none() && d.file == file)
    {
        d.position = index.find(&d.pointer);
    }
}

enum Frame {
    Map {
        pointer: String,
        key: Option<String>,
    },
    Seq {
        pointer: String,
        next: usize,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    positions: BTreeMap<String, (usize, usize)>,
}

impl Builder {
    /// The pointer of the node that starts now, or `None` for a mapping key.
    fn node_pointer(&mut self, scalar: Option<&str>, mark: Marker) -> Option<String> {
        let at = (mark.line(), mark.col() + 1);
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Seq { pointer, next }) => {
                let p = child(pointer, &next.to_string());
                *next += 1;
                Some(p)
            }
            Some(Frame::Map { pointer, key }) => match key.take() {
                Some(k) => Some(child(pointer, &k)),
                None => {
                    let k = scalar.unwrap_or("?").to_owned();
                    self.positions.entry(child(pointer, &k)).or_insert(at);
                    *key = Some(k);
                    None
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let at = (mark.line(), mark.col() + 1);
        match event {
            Event::Scalar(value, ..) => {
                if let Some(p) = self.node_pointer(Some(&value), mark) {
                    self.positions.entry(p).or_insert(at);
                }
            }
            Event::Alias(_) => {
                if let Some(p) = self.node_pointer(None, mark) {
                    self.positions.entry(p).or_insert(at);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(event, Event::MappingStart(..));
                // A collection used as a mapping key is indexed under `?`.
                let pointer = self.node_pointer(None, mark).unwrap_or_default();
                self.positions.entry(pointer.clone()).or_insert(at);
                self.stack.push(if is_map {
                    Frame::Map { pointer, key: None }
                } else {
                    Frame::Seq { pointer, next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_map_to_lines_and_columns() {
        let text = "asyncapi: 2.6.0\ninfo:\n  title: T\nchannels:\n  /a/{id}:\n    publish:\n      message:\n        oneOf:\n          - $ref: '#/x'\n          - payload: {type: string}\n";
        let index = PositionIndex::new(text);
        assert_eq!(index.find("/asyncapi"), Some((1, 1)));
        assert_eq!(index.find("/info/title"), Some((3, 3)));
        assert_eq!(index.find("/channels/~1a~1{id}/publish"), Some((6, 5)));
        assert_eq!(
            index.find("/channels/~1a~1{id}/publish/message/oneOf/0/$ref"),
            Some((9, 13))
        );
        assert_eq!(
            index.find("/channels/~1a~1{id}/publish/message/oneOf/1/payload/type"),
            Some((10, 23))
        );
        // A missing key falls back to its nearest ancestor.
        assert_eq!(index.find("/info/version"), Some((2, 1)));
    }

    #[test]
    fn json_sources_work_too() {
        let index = PositionIndex::new("{\n  \"info\": {\n    \"title\": \"T\"\n  }\n}");
        assert_eq!(index.find("/info/title"), Some((3, 5)));
    }
}
