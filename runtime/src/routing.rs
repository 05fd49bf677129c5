//! The channel table of a spec and the matching of concrete addresses against its
//! address templates (`/api/hooks/extensions/{provider_name}`).
//!
//! A `{param}` matches a non-empty run of characters without `/`; the literal text
//! between parameters must match exactly. A query string (`?…`) is ignored.

/// The AsyncAPI 2.x operation keyword, as written in the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `publish`: other parties send to the application the spec describes.
    Publish,
    /// `subscribe`: the application the spec describes sends to other parties.
    Subscribe,
}

/// A channel parameter declared by the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Parameter {
    /// The name used in the address template.
    pub name: &'static str,
    /// The spec's description, or empty.
    pub description: &'static str,
}

/// An operation on a channel: who sends, who receives, which messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    /// The spec's `operationId`, or empty.
    pub id: &'static str,
    /// The spec's keyword for this operation.
    pub action: Action,
    /// The party that sends the messages.
    pub sender: &'static str,
    /// The party that receives them (and must verify their signature).
    pub receiver: &'static str,
    /// The spec's summary, or empty.
    pub summary: &'static str,
    /// The names of the messages this operation carries.
    pub messages: &'static [&'static str],
    /// The operation's protocol bindings as JSON text, or empty.
    pub bindings: &'static str,
}

/// A channel of a spec: its address template and what travels on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Channel {
    /// The address template, as written in the spec.
    pub address: &'static str,
    /// The spec's description, or empty.
    pub description: &'static str,
    /// The parameters of the address template, in template order.
    pub parameters: &'static [Parameter],
    /// The operations on this channel.
    pub operations: &'static [Operation],
    /// The payload field whose value tells this channel's messages apart, if any.
    pub discriminator: Option<&'static str>,
    /// The channel's protocol bindings as JSON text, or empty.
    pub bindings: &'static str,
}

/// A concrete address matched against a channel template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The matched channel.
    pub channel: &'static Channel,
    /// The value of each template parameter, in template order.
    pub params: Vec<(&'static str, String)>,
}

impl Route {
    /// The matched address template.
    pub fn template(&self) -> &'static str {
        self.channel.address
    }

    /// The value of the parameter `name`, if the template has it.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Finds the channel of `channels` whose template matches `address`.
///
/// Templates without parameters win over templates with parameters, so a literal
/// address is never captured by a parameterised one; otherwise table order decides.
pub fn route(channels: &'static [Channel], address: &str) -> Option<Route> {
    let (index, params) = find_template(channels.iter().map(|c| c.address), address)?;
    Some(Route {
        channel: channels.get(index)?,
        params,
    })
}

/// The position of the template among `templates` that matches `address` (a literal
/// template before any with parameters; a query string ignored), with the parameter values.
pub fn find_template<I>(templates: I, address: &str) -> Option<(usize, Vec<(&'static str, String)>)>
where
    I: Iterator<Item = &'static str> + Clone,
{
    let address = address.split_once('?').map_or(address, |(path, _)| path);
    let mut all = templates.enumerate();
    if let Some((index, _)) = all.clone().find(|(_, t)| !t.contains('{') && *t == address) {
        return Some((index, Vec::new()));
    }
    all.find_map(|(index, template)| {
        if !template.contains('{') {
            return None;
        }
        match_template(template, address).map(|params| (index, params))
    })
}

/// Matches `address` against `template`, returning the parameter values in order.
pub fn match_template(
    template: &'static str,
    address: &str,
) -> Option<Vec<(&'static str, String)>> {
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
                params.push((name, rest[..value_end].to_owned()));
                rest = &rest[value_end..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    static TABLE: [Channel; 2] = [
        Channel {
            address: "/hooks/{name}",
            description: "",
            parameters: &[Parameter {
                name: "name",
                description: "",
            }],
            operations: &[],
            discriminator: None,
            bindings: "",
        },
        Channel {
            address: "/hooks/special",
            description: "",
            parameters: &[],
            operations: &[],
            discriminator: None,
            bindings: "",
        },
    ];

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
}
