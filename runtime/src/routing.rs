//! The channel table of a spec and the matching of concrete addresses against its
//! address templates (`/api/hooks/extensions/{provider_name}`).
//!
//! A `{param}` matches a non-empty run of characters without `/`; the literal text
//! between parameters must match exactly. A query string (`?…`) is ignored. Parameter
//! values are percent-decoded, as HTTP routers do; a value that is not valid
//! percent-encoded UTF-8, or that decodes to one containing `/` or to `.` or `..`, does
//! not match (it would name another path to whoever uses it as one).

use std::borrow::Cow;
use std::collections::HashMap;

/// What the application the spec describes does with an operation's messages (AsyncAPI
/// 3's `action`; a 2.x `publish` is `Receive`, a 2.x `subscribe` is `Send`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The application sends them to other parties.
    Send,
    /// Other parties send them to the application.
    Receive,
}

/// A channel parameter declared by the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Parameter {
    /// The name used in the address template.
    pub name: &'static str,
    /// The spec's description.
    pub description: Option<&'static str>,
    /// The values the spec allows; empty: any. An address with another value matches
    /// no channel.
    pub allowed: &'static [&'static str],
    /// The spec's default value.
    pub default: Option<&'static str>,
    /// A value for examples and tests: the spec's first example, else its default, else
    /// its first allowed value, else `example-<name>`.
    pub example: &'static str,
    /// Where the value comes from (an AsyncAPI runtime expression), when the spec says.
    pub location: Option<&'static str>,
}

/// What answers an operation (AsyncAPI 3 `reply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reply {
    /// The reply channel's address template; `None` when it is dynamic or not given.
    pub address: Option<&'static str>,
    /// Where the reply address is found at run time (such as `$message.header#/replyTo`).
    pub location: Option<&'static str>,
    /// The names of the messages the reply may carry.
    pub messages: &'static [&'static str],
}

/// A server of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Server {
    /// Its name in the spec.
    pub name: &'static str,
    /// Host (and port).
    pub host: &'static str,
    /// Path on the host, or `None`.
    pub pathname: Option<&'static str>,
    /// Protocol (`https`, `kafka`, …).
    pub protocol: &'static str,
    /// The spec's description, or `None`.
    pub description: Option<&'static str>,
}

/// An operation on a channel: who sends, who receives, which messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    /// The operation's id: the 3.x key or the 2.x `operationId` (for a 2.x operation
    /// without one, `<channel>.publish` or `<channel>.subscribe`, as the 3.0 conversion
    /// names it).
    pub id: &'static str,
    /// Whether the application sends or receives.
    pub action: Action,
    /// The party that sends the messages.
    pub sender: &'static str,
    /// The party that receives them (and must verify their signature).
    pub receiver: &'static str,
    /// The spec's summary.
    pub summary: Option<&'static str>,
    /// The names of the messages this operation carries.
    pub messages: &'static [&'static str],
    /// The operation's protocol bindings as JSON text.
    pub bindings: Option<&'static str>,
    /// What answers it, when the spec says.
    pub reply: Option<Reply>,
}

/// A channel of a spec: its address template and what travels on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Channel {
    /// The address template, as written in the spec; `None` for a dynamic channel (a
    /// reply address known only at run time), which no address routes to.
    pub address: Option<&'static str>,
    /// The spec's description.
    pub description: Option<&'static str>,
    /// The parameters of the address template, in template order.
    pub parameters: &'static [Parameter],
    /// The operations on this channel.
    pub operations: &'static [Operation],
    /// The request header that names the event of each delivery, if the channel names
    /// its events in one (GitHub's `X-GitHub-Event`): decoding reads it first, then the
    /// discriminator among that event's messages.
    pub event_header: Option<&'static str>,
    /// The payload field whose value tells this channel's messages apart, if any.
    pub discriminator: Option<&'static str>,
    /// The channel's protocol bindings as JSON text.
    pub bindings: Option<&'static str>,
}

impl Channel {
    /// A concrete address of this channel, each parameter filled with its example value
    /// (`None` for a dynamic channel).
    pub fn sample_address(&self) -> Option<String> {
        let address = self.address?.to_owned();
        Some(self.parameters.iter().fold(address, |address, p| {
            address.replace(&format!("{{{}}}", p.name), p.example)
        }))
    }

    /// True when every parameter value is one the spec allows.
    fn allows(&self, params: &[(&'static str, String)]) -> bool {
        params.iter().all(|(name, value)| {
            self.parameters
                .iter()
                .find(|p| p.name == *name)
                .is_none_or(|p| p.allowed.is_empty() || p.allowed.contains(&value.as_str()))
        })
    }
}

/// A concrete address matched against a channel template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The matched channel.
    pub channel: &'static Channel,
    /// The channel's position in its table.
    pub index: usize,
    /// The value of each template parameter, in template order.
    pub params: Vec<(&'static str, String)>,
}

impl Route {
    /// The matched address template.
    pub fn template(&self) -> &'static str {
        self.channel.address.unwrap_or_default()
    }

    /// The value of the parameter `name`, if the template has it.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The routing table of a spec, indexed: [`route`](Self::route) costs the same whatever
/// the number of channels (built once per spec, in a `static`).
#[derive(Debug, Clone)]
pub struct Router {
    channels: &'static [Channel],
    templates: TemplateIndex,
}

impl Router {
    /// Indexes `channels`.
    pub fn new(channels: &'static [Channel]) -> Self {
        Self {
            channels,
            templates: TemplateIndex::sparse(channels.iter().map(|c| c.address)),
        }
    }

    /// The channel whose template matches `address` (see [`TemplateIndex::find`]).
    pub fn route(&self, address: &str) -> Option<Route> {
        let (index, params) = self.templates.find(address)?;
        let channel = self.channels.get(index)?;
        channel.allows(&params).then_some(Route {
            channel,
            index,
            params,
        })
    }

    /// The position of the channel whose template is exactly `template`.
    pub fn position(&self, template: &str) -> Option<usize> {
        self.templates.position(template)
    }
}

/// Finds the channel of `channels` whose template matches `address`, building the index
/// on every call: for one-off lookups; a spec module keeps a [`Router`] instead.
pub fn route(channels: &'static [Channel], address: &str) -> Option<Route> {
    Router::new(channels).route(address)
}

/// Address templates indexed by `/`-separated segment: a hash lookup per literal segment
/// and a match per parameterised segment, so the cost of a lookup follows the length of
/// the address, not the number of templates (however many share a prefix).
#[derive(Debug, Clone, Default)]
pub struct TemplateIndex {
    /// Templates without parameters, by their text (first position wins).
    literal: HashMap<&'static str, usize>,
    /// Templates with parameters, by segment.
    root: Node,
}

#[derive(Debug, Clone, Default)]
struct Node {
    /// Children by literal segment text.
    literal: HashMap<&'static str, Node>,
    /// Children by segment with parameters (`{id}`, `v{n}.json`), in first-seen order.
    patterns: Vec<(&'static str, Node)>,
    /// The first template that ends here.
    end: Option<usize>,
    /// The lowest position of a template ending here or below (to skip what cannot win).
    first: usize,
}

impl TemplateIndex {
    /// Indexes `templates`; positions are their order.
    pub fn new<I: IntoIterator<Item = &'static str>>(templates: I) -> Self {
        Self::sparse(templates.into_iter().map(Some))
    }

    /// Indexes `templates`; positions are their order, and a `None` takes a position
    /// but matches nothing.
    pub fn sparse<I: IntoIterator<Item = Option<&'static str>>>(templates: I) -> Self {
        let mut index = Self::default();
        index.root.first = usize::MAX;
        for (position, template) in templates.into_iter().enumerate() {
            let Some(template) = template else {
                continue;
            };
            if !template.contains('{') {
                index.literal.entry(template).or_insert(position);
                continue;
            }
            let mut node = &mut index.root;
            node.first = node.first.min(position);
            for segment in template.split('/') {
                node = if segment.contains('{') {
                    match node.patterns.iter().position(|(p, _)| *p == segment) {
                        Some(i) => &mut node.patterns[i].1,
                        None => {
                            node.patterns.push((segment, Node::empty()));
                            &mut node.patterns.last_mut().expect("just pushed").1
                        }
                    }
                } else {
                    node.literal.entry(segment).or_insert_with(Node::empty)
                };
                node.first = node.first.min(position);
            }
            node.end.get_or_insert(position);
        }
        index
    }

    /// The position of the template exactly `template`, with or without parameters.
    pub fn position(&self, template: &str) -> Option<usize> {
        if let Some(position) = self.literal.get(template) {
            return Some(*position);
        }
        let mut node = &self.root;
        for segment in template.split('/') {
            node = match node.literal.get(segment) {
                Some(child) => child,
                None => &node.patterns.iter().find(|(p, _)| *p == segment)?.1,
            };
        }
        node.end
    }

    /// The template matching `address` and its parameter values. A query string (`?…`) is
    /// ignored; a template without parameters wins over any with; among templates with
    /// parameters the first in table order wins.
    pub fn find(&self, address: &str) -> Option<(usize, Vec<(&'static str, String)>)> {
        let address = address.split_once('?').map_or(address, |(path, _)| path);
        if let Some(position) = self.literal.get(address) {
            return Some((*position, Vec::new()));
        }
        let segments: Vec<&str> = address.split('/').collect();
        let mut search = Search {
            best: None,
            params: Vec::new(),
        };
        search.walk(&self.root, &segments);
        search.best
    }
}

impl Node {
    fn empty() -> Self {
        Self {
            first: usize::MAX,
            ..Self::default()
        }
    }
}

/// A depth-first search for the lowest-positioned template matching an address.
struct Search<'a> {
    best: Option<(usize, Vec<(&'static str, String)>)>,
    /// The parameter values on the path being tried, decoded.
    params: Vec<(&'static str, Cow<'a, str>)>,
}

impl<'a> Search<'a> {
    fn can_improve(&self, node: &Node) -> bool {
        self.best
            .as_ref()
            .is_none_or(|(best, _)| node.first < *best)
    }

    fn walk(&mut self, node: &Node, segments: &[&'a str]) {
        let Some((segment, rest)) = segments.split_first() else {
            let better = |end: &usize| self.best.as_ref().is_none_or(|(best, _)| end < best);
            if let Some(end) = node.end.filter(better) {
                let params = self
                    .params
                    .iter()
                    .map(|(n, v)| (*n, v.clone().into_owned()));
                self.best = Some((end, params.collect()));
            }
            return;
        };
        if let Some(child) = node.literal.get(segment).filter(|c| self.can_improve(c)) {
            self.walk(child, rest);
        }
        for (pattern, child) in &node.patterns {
            if !self.can_improve(child) {
                continue;
            }
            let Some(values) = match_segment(pattern, segment) else {
                continue;
            };
            let depth = self.params.len();
            let decoded = values
                .into_iter()
                .map(|(name, raw)| Some((name, parameter_value(raw)?)))
                .collect::<Option<Vec<_>>>();
            if let Some(decoded) = decoded {
                self.params.extend(decoded);
                self.walk(child, rest);
            }
            self.params.truncate(depth);
        }
    }
}

/// A parameter value as received, percent-decoded; `None` when it is not valid
/// percent-encoded UTF-8, or names another path (`/` inside, `.`, `..`).
fn parameter_value(raw: &str) -> Option<Cow<'_, str>> {
    let value = if raw.contains('%') {
        let bytes = raw.as_bytes();
        let mut decoded = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = bytes.get(i + 1..i + 3)?;
                // Two hex digits exactly (`from_str_radix` alone would take `%+f`).
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let hex = std::str::from_utf8(hex).ok()?;
                decoded.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            } else {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
        Cow::Owned(String::from_utf8(decoded).ok()?)
    } else {
        Cow::Borrowed(raw)
    };
    (!value.contains('/') && value != "." && value != "..").then_some(value)
}

/// The position of the template among `templates` that matches `address` (see
/// [`TemplateIndex::find`]), building the index on every call.
pub fn find_template<I>(templates: I, address: &str) -> Option<(usize, Vec<(&'static str, String)>)>
where
    I: IntoIterator<Item = &'static str>,
{
    TemplateIndex::new(templates).find(address)
}

/// Matches `address` against `template`, returning the parameter values in order.
pub fn match_template(
    template: &'static str,
    address: &str,
) -> Option<Vec<(&'static str, String)>> {
    let values = match_segment(template, address)?;
    values
        .into_iter()
        .map(|(n, v)| Some((n, parameter_value(v)?.into_owned())))
        .collect()
}

/// Matches `text` against `template` (one segment, or a whole address: a parameter never
/// takes a `/`), returning the parameter values in order, borrowed from `text`.
fn match_segment<'t>(
    template: &'static str,
    text: &'t str,
) -> Option<Vec<(&'static str, &'t str)>> {
    let address = text;
    let mut params = Vec::new();
    let mut rest_template = template;
    let mut rest = address;
    loop {
        match rest_template.find('{') {
            None => return (rest == rest_template).then_some(params),
            Some(open) => {
                let literal = &rest_template[..open];
                rest = rest.strip_prefix(literal)?;
                let close = open + rest_template[open..].find('}')?;
                let name = &rest_template[open + 1..close];
                rest_template = &rest_template[close + 1..];
                // The value runs to the next `/`, or to the next literal text of the template.
                let segment_end = rest.find('/').unwrap_or(rest.len());
                let next_literal = rest_template.split('{').next().unwrap_or("");
                let value_end = if next_literal.is_empty() || next_literal.starts_with('/') {
                    segment_end
                } else {
                    let stop = next_literal.split('/').next().unwrap_or("");
                    rest[..segment_end].find(stop)?
                };
                if value_end == 0 {
                    return None;
                }
                params.push((name, &rest[..value_end]));
                rest = &rest[value_end..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_values_are_percent_decoded_and_never_name_another_path() {
        let index = TemplateIndex::new(["/hooks/{provider}/events", "/files/{name}.json"]);
        let found = |address: &str| index.find(address).map(|(_, params)| params);
        assert_eq!(
            found("/hooks/my%20app/events"),
            Some(vec![("provider", "my app".to_owned())])
        );
        assert_eq!(
            found("/hooks/caf%C3%A9/events"),
            Some(vec![("provider", "café".to_owned())])
        );
        assert_eq!(
            found("/files/a%2Eb.json"),
            Some(vec![("name", "a.b".to_owned())])
        );
        for refused in [
            "/hooks/a%2Fb/events", // decodes to a `/`
            "/hooks/a%2fb/events",
            "/hooks/%2E%2E/events", // `..`
            "/hooks/../events",
            "/hooks/./events",
            "/hooks/%2e/events",
            "/hooks/%zz/events", // not percent-encoding
            "/hooks/%+f/events",
            "/hooks/%4/events",
            "/hooks/%FF/events", // not UTF-8
        ] {
            assert_eq!(found(refused), None, "{refused}");
        }
        assert_eq!(match_template("/x/{id}", "/x/a%2Fb"), None);
        assert_eq!(
            match_template("/x/{id}", "/x/a%21"),
            Some(vec![("id", "a!".to_owned())])
        );
    }

    fn pairs(v: Option<Vec<(&'static str, String)>>) -> Option<Vec<(String, String)>> {
        v.map(|v| v.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    fn want(v: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn matches_literal_and_parameters() {
        assert_eq!(pairs(match_template("/a/b", "/a/b")), want(&[]));
        assert_eq!(pairs(match_template("/a/b", "/a/bc")), None);
        assert_eq!(
            pairs(match_template("/hooks/{name}", "/hooks/redis")),
            want(&[("name", "redis")])
        );
        assert_eq!(pairs(match_template("/hooks/{name}", "/hooks/")), None);
        assert_eq!(pairs(match_template("/hooks/{name}", "/hooks/a/b")), None);
        assert_eq!(
            pairs(match_template("/u/{id}/signed-up", "/u/42/signed-up")),
            want(&[("id", "42")])
        );
        assert_eq!(
            pairs(match_template("light.{id}.on", "light.7.on")),
            want(&[("id", "7")])
        );
        assert_eq!(
            pairs(match_template("{a}-{b}", "x-y")),
            want(&[("a", "x"), ("b", "y")])
        );
    }

    static TABLE: [Channel; 4] = [
        Channel {
            address: Some("/hooks/{name}"),
            description: None,
            parameters: &[Parameter {
                name: "name",
                description: None,
                allowed: &[],
                default: None,
                example: "example-name",
                location: None,
            }],
            operations: &[],
            event_header: None,
            discriminator: None,
            bindings: None,
        },
        Channel {
            address: Some("/hooks/special"),
            description: None,
            parameters: &[],
            operations: &[],
            event_header: None,
            discriminator: None,
            bindings: None,
        },
        Channel {
            address: None,
            description: Some("a dynamic reply channel"),
            parameters: &[],
            operations: &[],
            event_header: None,
            discriminator: None,
            bindings: None,
        },
        Channel {
            address: Some("/lights/{colour}"),
            description: None,
            parameters: &[Parameter {
                name: "colour",
                description: None,
                allowed: &["red", "green"],
                default: Some("red"),
                example: "red",
                location: None,
            }],
            operations: &[],
            event_header: None,
            discriminator: None,
            bindings: None,
        },
    ];

    #[test]
    fn parameters_with_allowed_values_match_only_those() {
        let r = route(&TABLE, "/lights/green").unwrap();
        assert_eq!((r.index, r.param("colour")), (3, Some("green")));
        assert!(route(&TABLE, "/lights/blue").is_none());
        // A dynamic channel keeps its place in the table and matches no address.
        assert!(route(&TABLE, "").is_none());
        assert_eq!(Router::new(&TABLE).position("/lights/{colour}"), Some(3));
    }

    #[test]
    fn literal_template_wins_and_query_is_ignored() {
        let r = route(&TABLE, "/hooks/special?x=1").unwrap();
        assert_eq!(r.template(), "/hooks/special");
        let r = route(&TABLE, "/hooks/other").unwrap();
        assert_eq!(r.template(), "/hooks/{name}");
        assert_eq!(r.param("name"), Some("other"));
        assert_eq!(r.param("nope"), None);
        assert!(route(&TABLE, "/elsewhere").is_none());
    }

    #[test]
    fn first_template_in_table_order_wins_across_branches() {
        let index = TemplateIndex::new(["/{a}/b", "/x/{b}", "/x/y", "/x/{c}/z", "/{d}/{e}/z"]);
        // Both `/{a}/b` (0) and `/x/{b}` (1) match; table order decides, not literalness.
        assert_eq!(index.find("/x/b"), Some((0, vec![("a", "x".to_owned())])));
        assert_eq!(index.find("/x/q"), Some((1, vec![("b", "q".to_owned())])));
        assert_eq!(index.find("/x/y"), Some((2, vec![])));
        assert_eq!(index.find("/x/y/z"), Some((3, vec![("c", "y".to_owned())])));
        assert_eq!(
            index.find("/w/y/z"),
            Some((4, vec![("d", "w".to_owned()), ("e", "y".to_owned())]))
        );
        assert_eq!(index.find("/x"), None);
        // Regression (found by `index_agrees_with_a_linear_scan`): a later branch whose
        // subtree starts earlier must not beat an earlier template that already matched.
        let index = TemplateIndex::new(["/{s}.{t}/a", "/{p}/a", "/{s}.{t}", "/{p}"]);
        assert_eq!(index.find("/aa.b").map(|(i, _)| i), Some(2));
        assert_eq!(index.find("/x/y/z/w"), None);
        assert_eq!(index.find(""), None);
    }

    #[test]
    fn literal_segments_and_patterns_in_one_segment() {
        let index = TemplateIndex::new(["a.{id}.on", "/v{n}.json", "/a//{b}", "{x}"]);
        assert_eq!(
            index.find("a.7.on"),
            Some((0, vec![("id", "7".to_owned())]))
        );
        assert_eq!(
            index.find("/v2.json"),
            Some((1, vec![("n", "2".to_owned())]))
        );
        assert_eq!(index.find("/v.json"), None);
        assert_eq!(index.find("/a//q"), Some((2, vec![("b", "q".to_owned())])));
        assert_eq!(index.find("/a/q"), None);
        assert_eq!(
            index.find("solo"),
            Some((3, vec![("x", "solo".to_owned())]))
        );
    }

    #[test]
    fn duplicate_templates_keep_their_first_position() {
        let index = TemplateIndex::new(["/a", "/a", "/b/{x}", "/b/{x}"]);
        assert_eq!(index.find("/a"), Some((0, vec![])));
        assert_eq!(index.find("/b/1").map(|(i, _)| i), Some(2));
        assert_eq!(index.position("/a"), Some(0));
        assert_eq!(index.position("/b/{x}"), Some(2));
        assert_eq!(index.position("/b/{y}"), None);
        assert_eq!(index.position("/b"), None);
        assert_eq!(index.position("/c"), None);
    }

    #[test]
    fn many_templates_sharing_a_prefix() {
        let templates: Vec<&'static str> = (0..2000)
            .map(|i| &*Box::leak(format!("/tenants/{{tenant}}/events/e{i}").into_boxed_str()))
            .collect();
        let index = TemplateIndex::new(templates.iter().copied());
        assert_eq!(
            index.find("/tenants/t9/events/e1999"),
            Some((1999, vec![("tenant", "t9".to_owned())]))
        );
        assert_eq!(index.find("/tenants/t9/events/e2000"), None);
        assert_eq!(index.position("/tenants/{tenant}/events/e7"), Some(7));
    }

    #[test]
    fn a_sample_address_routes_back_to_its_channel() {
        assert_eq!(TABLE[3].sample_address().as_deref(), Some("/lights/red"));
        assert_eq!(
            TABLE[2].sample_address(),
            None,
            "a dynamic channel has none"
        );
        for channel in TABLE.iter().filter(|c| c.address.is_some()) {
            let address = channel.sample_address().unwrap();
            assert_eq!(route(&TABLE, &address).map(|r| r.channel), Some(channel));
        }
    }

    #[test]
    fn router_reports_channel_and_position() {
        let router = Router::new(&TABLE);
        let r = router.route("/hooks/x").unwrap();
        assert_eq!((r.index, r.template()), (0, "/hooks/{name}"));
        let r = router.route("/hooks/special").unwrap();
        assert_eq!((r.index, r.template()), (1, "/hooks/special"));
        assert_eq!(router.position("/hooks/special"), Some(1));
        assert_eq!(router.position("/hooks/{name}"), Some(0));
        assert_eq!(router.position("/nope"), None);
        assert_eq!(
            find_template(["/a/{b}"], "/a/c?d=e"),
            Some((0, vec![("b", "c".to_owned())]))
        );
    }

    /// The rule the index implements, as a plain scan: a literal template equal to the
    /// address first, else the first template with parameters that matches.
    fn linear(
        templates: &[&'static str],
        address: &str,
    ) -> Option<(usize, Vec<(&'static str, String)>)> {
        let address = address.split_once('?').map_or(address, |(path, _)| path);
        if let Some(i) = templates
            .iter()
            .position(|t| !t.contains('{') && *t == address)
        {
            return Some((i, Vec::new()));
        }
        templates.iter().enumerate().find_map(|(i, t)| {
            if !t.contains('{') {
                return None;
            }
            match_template(t, address).map(|p| (i, p))
        })
    }

    proptest::proptest! {
        /// Any value, percent-encoded byte by byte (as a client may), routes back to
        /// itself, unless it would name another path (or is empty, which no segment is).
        #[test]
        fn percent_encoded_values_decode_to_what_was_sent(value in "\\PC{0,12}|\\.{1,2}|[a/%.]{0,6}") {
            let encoded: String = value.bytes().map(|b| format!("%{b:02X}")).collect();
            let index = TemplateIndex::new(["/hooks/{provider}/events"]);
            let found = index.find(&format!("/hooks/{encoded}/events")).map(|(_, p)| p);
            let refused = value.is_empty() || value.contains('/') || value == "." || value == "..";
            let expected = (!refused).then(|| vec![("provider", value.clone())]);
            proptest::prop_assert_eq!(found, expected);
        }

        /// The index finds what the plain scan finds, for random templates and addresses
        /// drawn from a small alphabet (so that they often match).
        #[test]
        fn index_agrees_with_a_linear_scan(
            templates in proptest::collection::vec("(/?(a|b|ab|\\{p\\}|\\{q\\}x|x\\{r\\}|\\{s\\}\\.\\{t\\})){1,4}", 1..12),
            addresses in proptest::collection::vec("(/?(a|b|ab|x|ax|xa|a\\.b|\\.|)){1,4}(\\?q)?", 1..12),
        ) {
            let templates: Vec<&'static str> =
                templates.into_iter().map(|t| &*Box::leak(t.into_boxed_str())).collect();
            let index = TemplateIndex::new(templates.iter().copied());
            for address in &addresses {
                proptest::prop_assert_eq!(index.find(address), linear(&templates, address), "{} in {:?}", address, templates);
            }
            for (i, t) in templates.iter().enumerate() {
                let first = templates.iter().position(|u| u == t);
                proptest::prop_assert_eq!(index.position(t), first, "{}", i);
            }
        }
    }
}
