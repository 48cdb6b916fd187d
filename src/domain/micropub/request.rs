//! Micropub requests as data: parsing form, JSON and multipart fields into actions, with the
//! property names and values checked on the way in.
//!
//! Properties are kept exactly as the client sent them (object of arrays, in order), minus the
//! `access_token` and the `mp-*` commands.

use crate::error::AppError;
use serde_json::{Map, Value};

/// A malformed Micropub request; the text is the `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MicropubError(pub String);

/// A malformed Micropub request is a 400 naming what is wrong.
impl From<MicropubError> for AppError {
    fn from(e: MicropubError) -> Self {
        AppError::BadRequest(e.0)
    }
}

pub(super) fn bad(message: impl Into<String>) -> MicropubError {
    MicropubError(message.into())
}

/// What a POST to `/micropub` asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Create an `h-entry` from these properties.
    Create(Create),
    /// Change the post at `url`.
    Update {
        /// The post's URL.
        url: String,
        /// The changes.
        update: Update,
    },
    /// Soft-delete the post at `url`.
    Delete {
        /// The post's URL.
        url: String,
    },
    /// Restore the post at `url`.
    Undelete {
        /// The post's URL.
        url: String,
    },
}

impl Action {
    /// The scope a token needs for this action.
    pub fn scope(&self) -> &'static str {
        match self {
            Action::Create(_) => "create",
            Action::Update { .. } => "update",
            Action::Delete { .. } => "delete",
            Action::Undelete { .. } => "undelete",
        }
    }
}

/// A create request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Create {
    /// Properties to store (no `mp-*`, no `access_token`).
    pub properties: Map<String, Value>,
    /// `mp-slug`, when given.
    pub slug: Option<String>,
}

/// The three operations of an update, applied in the order replace, add, delete.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    /// Properties whose values are replaced.
    pub replace: Map<String, Value>,
    /// Values appended to properties.
    pub add: Map<String, Value>,
    /// Whole properties removed.
    pub delete_properties: Vec<String>,
    /// Individual values removed.
    pub delete_values: Map<String, Value>,
}

/// A parsed POST body: the action and an `access_token` given in the body, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// What to do.
    pub action: Action,
    /// The token from the body (`access_token`), if one was sent there.
    pub body_token: Option<String>,
}

/// Reads a form-encoded (or multipart text) body: `key=value` pairs in order. `key[]` and
/// repeated keys make lists; `action=delete|undelete` with `url` act on a post; anything else
/// creates an `h-entry`.
pub fn from_form(pairs: Vec<(String, String)>) -> Result<Request, MicropubError> {
    let mut body_token = None;
    let mut action = None;
    let mut url = None;
    let mut kind = None;
    let mut slug = None;
    let mut properties = Map::new();
    for (key, value) in pairs {
        // `access_token[]` is still the token, `h[]` still the type: never properties.
        let key = key.strip_suffix("[]").map_or(key.clone(), str::to_owned);
        let once = |slot: &mut Option<String>, name: &str| {
            if slot.replace(value.clone()).is_some() {
                Err(bad(format!("`{name}` may be given only once")))
            } else {
                Ok(())
            }
        };
        match key.as_str() {
            "access_token" => once(&mut body_token, "access_token")?,
            "action" => once(&mut action, "action")?,
            "url" => once(&mut url, "url")?,
            "h" => once(&mut kind, "h")?,
            "mp-slug" | "mp-slug[]" => once(&mut slug, "mp-slug")?,
            _ => {
                let name = key.strip_suffix("[]").unwrap_or(&key);
                check_name(name)?;
                if name.starts_with("mp-") || value.is_empty() {
                    continue;
                }
                push(&mut properties, name, Value::String(value));
            }
        }
    }
    let action = match action.as_deref() {
        None => {
            check_kind(kind.as_deref().unwrap_or("entry"))?;
            Action::Create(Create { properties, slug })
        }
        Some("delete") => Action::Delete {
            url: need_url(url)?,
        },
        Some("undelete") => Action::Undelete {
            url: need_url(url)?,
        },
        Some("update") => {
            return Err(bad(
                "updates must be sent as JSON (`Content-Type: application/json`)",
            ));
        }
        Some(other) => return Err(bad(format!("unknown action `{other}`"))),
    };
    Ok(Request { action, body_token })
}

/// Reads a JSON body: `{"type": ["h-entry"], "properties": {…}}` creates; `{"action": …, "url": …}`
/// updates, deletes or undeletes.
pub fn from_json(body: Value) -> Result<Request, MicropubError> {
    let Value::Object(mut body) = body else {
        return Err(bad("the JSON body must be an object"));
    };
    let body_token = match body.remove("access_token") {
        None => None,
        Some(Value::String(t)) => Some(t),
        Some(_) => return Err(bad("`access_token` must be a string")),
    };
    let action = match body.remove("action") {
        None => Action::Create(json_create(body)?),
        Some(Value::String(action)) => {
            let url = match body.remove("url") {
                Some(Value::String(u)) => u,
                Some(_) => return Err(bad("`url` must be a string")),
                None => return Err(bad("this action needs the post's `url`")),
            };
            match action.as_str() {
                "delete" => Action::Delete { url },
                "undelete" => Action::Undelete { url },
                "update" => Action::Update {
                    url,
                    update: json_update(body)?,
                },
                other => return Err(bad(format!("unknown action `{other}`"))),
            }
        }
        Some(_) => return Err(bad("`action` must be a string")),
    };
    Ok(Request { action, body_token })
}

fn json_create(mut body: Map<String, Value>) -> Result<Create, MicropubError> {
    match body.remove("type") {
        Some(Value::Array(types)) if types.len() == 1 => match types[0].as_str() {
            Some(t) => check_kind(t.strip_prefix("h-").unwrap_or(t))?,
            None => return Err(bad("`type` must be a list of strings")),
        },
        Some(_) => {
            return Err(bad(
                "`type` must be a list with one type, e.g. [\"h-entry\"]",
            ));
        }
        None => return Err(bad("a create request needs `type` (e.g. [\"h-entry\"])")),
    }
    let properties = match body.remove("properties") {
        Some(Value::Object(p)) => p,
        Some(_) => return Err(bad("`properties` must be an object")),
        None => return Err(bad("a create request needs `properties`")),
    };
    let mut create = Create::default();
    for (name, values) in properties {
        check_name(&name)?;
        let Value::Array(values) = values else {
            return Err(bad(format!("property `{name}` must be a list of values")));
        };
        if name == "mp-slug" {
            create.slug = values.first().and_then(Value::as_str).map(str::to_owned);
            continue;
        }
        if name.starts_with("mp-") || name == "access_token" {
            continue;
        }
        create.properties.insert(name, Value::Array(values));
    }
    Ok(create)
}

fn json_update(body: Map<String, Value>) -> Result<Update, MicropubError> {
    let mut update = Update::default();
    for (operation, value) in body {
        match operation.as_str() {
            "replace" | "add" => {
                let Value::Object(props) = value else {
                    return Err(bad(format!(
                        "`{operation}` must be an object of property lists"
                    )));
                };
                let target = if operation == "replace" {
                    &mut update.replace
                } else {
                    &mut update.add
                };
                for (name, values) in props {
                    check_name(&name)?;
                    if !values.is_array() {
                        return Err(bad(format!(
                            "`{operation}.{name}` must be a list of values"
                        )));
                    }
                    target.insert(name, values);
                }
            }
            "delete" => match value {
                Value::Array(names) => {
                    for name in names {
                        let Value::String(name) = name else {
                            return Err(bad("`delete` must list property names as strings"));
                        };
                        check_name(&name)?;
                        update.delete_properties.push(name);
                    }
                }
                Value::Object(props) => {
                    for (name, values) in props {
                        check_name(&name)?;
                        if !values.is_array() {
                            return Err(bad(format!("`delete.{name}` must be a list of values")));
                        }
                        update.delete_values.insert(name, values);
                    }
                }
                _ => {
                    return Err(bad(
                        "`delete` must be a list of property names or an object of value lists",
                    ));
                }
            },
            other => return Err(bad(format!("unknown update operation `{other}`"))),
        }
    }
    if update == Update::default() {
        return Err(bad("an update needs `replace`, `add` or `delete`"));
    }
    Ok(update)
}

fn check_kind(kind: &str) -> Result<(), MicropubError> {
    if kind == "entry" {
        Ok(())
    } else {
        Err(bad(format!(
            "only h-entry posts can be created here, not h-{kind}"
        )))
    }
}

fn check_name(name: &str) -> Result<(), MicropubError> {
    let valid = !name.is_empty()
        && name.len() <= 100
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(bad(format!(
            "property names are 1 to 100 ASCII letters, digits, `-` or `_`: {:?} is not",
            name.chars().take(100).collect::<String>()
        )));
    }
    if SERVER_OWNED.contains(&name) {
        return Err(bad(format!(
            "`{name}` is set by the server and cannot be changed"
        )));
    }
    Ok(())
}

/// Properties the server owns: a post's `url` is its permalink, its `type` is `h-entry`.
const SERVER_OWNED: [&str; 2] = ["url", "type"];

/// Properties whose values are links: they must be http(s) URLs.
const URL_PROPERTIES: [&str; 8] = [
    "photo",
    "video",
    "audio",
    "syndication",
    "in-reply-to",
    "like-of",
    "repost-of",
    "bookmark-of",
];

/// Checks every property's values: lists of strings or objects (nested microformats, `{value,
/// alt}`, `{html}`), links that are http(s) URLs.
pub(super) fn check_values(properties: &Map<String, Value>) -> Result<(), MicropubError> {
    for (name, values) in properties {
        check_name(name)?;
        let Value::Array(values) = values else {
            return Err(bad(format!("property `{name}` must be a list of values")));
        };
        for value in values {
            let link = match value {
                Value::String(s) => Some(s.as_str()),
                // A nested microformats object (an h-cite, an h-card) is kept as given.
                Value::Object(o) if o.contains_key("type") => None,
                Value::Object(o) => match o.get("value") {
                    Some(Value::String(s)) => Some(s.as_str()),
                    Some(_) => {
                        return Err(bad(format!("`{name}`: an object's `value` must be text")));
                    }
                    None => None,
                },
                _ => {
                    return Err(bad(format!(
                        "`{name}` values must be text or objects, not {value}"
                    )));
                }
            };
            if let (true, Some(link)) = (URL_PROPERTIES.contains(&name.as_str()), link) {
                let ok = url::Url::parse(link)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
                if !ok {
                    return Err(bad(format!("`{name}` must be an http(s) URL: {link}")));
                }
            }
        }
    }
    Ok(())
}

fn need_url(url: Option<String>) -> Result<String, MicropubError> {
    url.filter(|u| !u.is_empty())
        .ok_or_else(|| bad("this action needs the post's `url`"))
}

/// Appends a value to a property list, creating it.
pub fn push(properties: &mut Map<String, Value>, name: &str, value: Value) {
    match properties
        .entry(name)
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        Value::Array(values) => values.push(value),
        other => *other = Value::Array(vec![value]),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Result<Request, MicropubError> {
        from_form(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn created(request: Request) -> Create {
        match request.action {
            Action::Create(c) => c,
            other => panic!("not a create: {other:?}"),
        }
    }

    #[test]
    fn form_lists_keep_order_and_commands_are_not_properties() {
        let request = form(&[
            ("h", "entry"),
            ("content", "hello"),
            ("category[]", "b"),
            ("category[]", "a"),
            ("category", "c"),
            ("mp-slug", "my-slug"),
            ("mp-syndicate-to", "x"),
            ("access_token", "secret"),
        ])
        .unwrap();
        assert_eq!(request.body_token.as_deref(), Some("secret"));
        let create = created(request);
        assert_eq!(create.slug.as_deref(), Some("my-slug"));
        assert_eq!(
            Value::Object(create.properties),
            json!({"content": ["hello"], "category": ["b", "a", "c"]})
        );
    }

    #[test]
    fn form_refusals() {
        for (pairs, why) in [
            (vec![("h", "event"), ("content", "x")], "type"),
            (vec![("action", "update"), ("url", "u")], "update by form"),
            (vec![("action", "delete")], "no url"),
            (vec![("action", "explode"), ("url", "u")], "unknown action"),
            (
                vec![("access_token", "a"), ("access_token", "b")],
                "two tokens",
            ),
        ] {
            assert!(form(&pairs).is_err(), "{why}");
        }
        let delete = form(&[("action", "delete"), ("url", "https://x/notes/a")]).unwrap();
        assert_eq!(
            delete.action,
            Action::Delete {
                url: "https://x/notes/a".into()
            }
        );
    }

    #[test]
    fn json_create_keeps_nested_and_unknown_properties() {
        let request = from_json(json!({
            "type": ["h-entry"],
            "properties": {
                "content": [{"html": "<b>hi</b>"}],
                "checkin": [{"type": ["h-card"], "properties": {"name": ["Cafe"]}}],
                "x-custom": ["kept"],
                "mp-slug": ["s"],
                "mp-destination": ["d"]
            }
        }))
        .unwrap();
        let create = created(request);
        assert_eq!(create.slug.as_deref(), Some("s"));
        assert_eq!(
            create.properties.keys().collect::<Vec<_>>(),
            vec!["content", "checkin", "x-custom"]
        );
        let note = create.into_note().unwrap();
        assert_eq!(note.content.kind(), "html");
    }

    #[test]
    fn json_shape_errors() {
        for body in [
            json!([]),
            json!({"type": "h-entry", "properties": {}}),
            json!({"type": ["h-entry"], "properties": {"content": "not a list"}}),
            json!({"type": ["h-entry"], "properties": []}),
            json!({"action": "update", "url": "u", "replace": {"content": "x"}}),
            json!({"action": "update", "url": "u", "replace": ["content"]}),
            json!({"action": "update", "url": "u", "delete": "category"}),
            json!({"action": "update", "url": "u", "add": {"category": {"a": 1}}}),
            json!({"action": "update", "url": "u"}),
            json!({"action": "update", "url": "u", "frobnicate": {}}),
            json!({"action": 5, "url": "u"}),
            json!({"action": "delete"}),
            json!({"access_token": 1, "type": ["h-entry"], "properties": {}}),
        ] {
            assert!(from_json(body.clone()).is_err(), "{body}");
        }
    }
}
