//! What is done with stored properties: applying updates (replace, add, delete) and deriving
//! a note's body, title, date and visibility from them on every write.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::{Iso8601, Rfc3339};

use super::request::{Create, MicropubError, Update, bad, check_values, push};
use crate::domain::content::{ContentError, strip_controls};
use crate::domain::{NewNote, NoteContent};

/// Applies an update to a post's properties: replace, then add, then delete. `mp-*` names are
/// commands, never stored.
pub fn apply(properties: &mut Map<String, Value>, update: &Update) {
    let stored = |name: &str| !name.starts_with("mp-") && name != "access_token";
    for (name, values) in update.replace.iter().filter(|(n, _)| stored(n)) {
        if values.as_array().is_some_and(Vec::is_empty) {
            properties.remove(name);
        } else {
            properties.insert(name.clone(), values.clone());
        }
    }
    for (name, values) in update.add.iter().filter(|(n, _)| stored(n)) {
        for value in values.as_array().into_iter().flatten() {
            push(properties, name, value.clone());
        }
    }
    for name in &update.delete_properties {
        properties.remove(name);
    }
    for (name, values) in &update.delete_values {
        let Some(Value::Array(current)) = properties.get_mut(name) else {
            continue;
        };
        let doomed = values.as_array().cloned().unwrap_or_default();
        current.retain(|v| !doomed.contains(v));
        if current.is_empty() {
            properties.remove(name);
        }
    }
}

/// A note's columns as derived from its properties.
#[derive(Debug, Clone)]
pub struct Derived {
    /// The body (`content`); empty when the post has none (e.g. a photo).
    pub content: NoteContent,
    /// `name`.
    pub name: Option<String>,
    /// `published`, when given.
    pub published_at: Option<OffsetDateTime>,
    /// False for `post-status: draft`.
    pub published: bool,
}

/// Derives a note's columns from its properties, refusing values that cannot be stored.
pub fn derive(properties: &Map<String, Value>) -> Result<Derived, MicropubError> {
    check_values(properties)?;
    let first = |name: &str| properties.get(name).and_then(|v| v.as_array()?.first());
    let content = match first("content") {
        None => NoteContent::empty(),
        Some(Value::String(text)) if text.trim().is_empty() => NoteContent::empty(),
        Some(Value::String(text)) => NoteContent::markdown(text.as_str()).map_err(content_error)?,
        Some(Value::Object(o)) => match (o.get("html"), o.get("value")) {
            (Some(Value::String(html)), _) => {
                NoteContent::html(html.as_str()).map_err(content_error)?
            }
            (None, Some(Value::String(text))) => {
                NoteContent::markdown(text.as_str()).map_err(content_error)?
            }
            _ => return Err(bad("`content` must be text or {\"html\": \"…\"}")),
        },
        Some(_) => return Err(bad("`content` must be text or {\"html\": \"…\"}")),
    };
    let name = match first("name") {
        None => None,
        Some(Value::String(n)) => Some(strip_controls(n.trim())).filter(|n| !n.is_empty()),
        Some(_) => return Err(bad("`name` must be text")),
    };
    if name.as_ref().is_some_and(|n| n.len() > 1000) {
        return Err(bad("`name` is longer than 1,000 bytes"));
    }
    let published_at = match first("published") {
        None => None,
        Some(Value::String(date)) => Some(parse_date(date)?),
        Some(_) => return Err(bad("`published` must be a date string")),
    };
    let single = |name: &str| -> Result<Option<&str>, MicropubError> {
        match properties
            .get(name)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            None | Some([]) => Ok(None),
            Some([Value::String(s)]) => Ok(Some(s.as_str())),
            Some(_) => Err(bad(format!("`{name}` takes one text value"))),
        }
    };
    let status_published = match single("post-status")? {
        None | Some("published") => true,
        Some("draft") => false,
        Some(_) => return Err(bad("`post-status` must be `published` or `draft`")),
    };
    // A private post is kept from the public like a draft; unlisted ones cannot be offered.
    let visible = match single("visibility")? {
        None | Some("public") => true,
        Some("private") => false,
        Some(other) => {
            return Err(bad(format!(
                "`visibility` {other} is not supported here (use public or private)"
            )));
        }
    };
    let published = status_published && visible;
    let has_something = properties.values().any(|v| {
        v.as_array().is_some_and(|a| {
            a.iter()
                .any(|x| x.as_str().is_none_or(|s| !s.trim().is_empty()))
        })
    });
    if !has_something {
        return Err(bad("the post has no properties (send at least `content`)"));
    }
    Ok(Derived {
        content,
        name,
        published_at,
        published,
    })
}

fn content_error(e: ContentError) -> MicropubError {
    bad(format!("`content` cannot be stored: {e}"))
}

fn parse_date(s: &str) -> Result<OffsetDateTime, MicropubError> {
    let date = OffsetDateTime::parse(s.trim(), &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(s.trim(), &Iso8601::DEFAULT))
        .map_err(|_| {
            bad(format!(
                "`published` is not an ISO 8601 date with a time zone: {s}"
            ))
        })?;
    if date.offset().whole_hours().abs() > 23 {
        return Err(bad(format!(
            "`published` has an impossible UTC offset: {s}"
        )));
    }
    if !(1900..=9999).contains(&date.year()) {
        return Err(bad("`published` must be between the years 1900 and 9999"));
    }
    Ok(date)
}

impl Create {
    /// The note to store.
    pub fn into_note(self) -> Result<NewNote, MicropubError> {
        let derived = derive(&self.properties)?;
        Ok(NewNote {
            content: derived.content,
            name: derived.name,
            requested_slug: self.slug.filter(|s| !s.trim().is_empty()),
            published: derived.published,
            published_at: derived.published_at,
            properties: self.properties,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::micropub::request::{Action, from_json};

    #[test]
    fn updates_replace_add_and_delete_in_order() {
        let mut props = json!({
            "content": ["old"],
            "category": ["a", "b", "c"],
            "photo": ["https://p/1.jpg"]
        })
        .as_object()
        .cloned()
        .unwrap();
        let Action::Update { update, .. } = from_json(json!({
            "action": "update",
            "url": "u",
            "replace": {"content": ["new"]},
            "add": {"category": ["d"], "syndication": ["https://s/1"]},
            "delete": {"category": ["b"]}
        }))
        .unwrap()
        .action
        else {
            panic!("not an update")
        };
        apply(&mut props, &update);
        assert_eq!(
            Value::Object(props.clone()),
            json!({
                "content": ["new"],
                "category": ["a", "c", "d"],
                "photo": ["https://p/1.jpg"],
                "syndication": ["https://s/1"]
            })
        );
        let remove = Update {
            delete_properties: vec!["photo".into(), "missing".into()],
            ..Update::default()
        };
        apply(&mut props, &remove);
        assert!(!props.contains_key("photo"));
    }

    #[test]
    fn derived_columns() {
        let props = json!({
            "content": ["**hi**"],
            "name": ["Title"],
            "published": ["2024-05-06T07:08:09+02:00"],
            "post-status": ["draft"]
        });
        let d = derive(props.as_object().unwrap()).unwrap();
        assert_eq!(d.content.kind(), "markdown");
        assert_eq!(d.name.as_deref(), Some("Title"));
        assert_eq!(d.published_at.unwrap().unix_timestamp(), 1_714_972_089);
        assert!(!d.published);
        for bad_props in [
            json!({}),
            json!({"content": [""], "category": []}),
            json!({"published": ["yesterday"]}),
            json!({"content": [5]}),
            json!({"content": ["x"], "post-status": ["secret"]}),
            json!({"content": ["x"], "name": [["nested"]]}),
        ] {
            assert!(
                derive(bad_props.as_object().unwrap()).is_err(),
                "{bad_props}"
            );
        }
        let photo_only = json!({"photo": ["https://p/1.jpg"]});
        assert_eq!(
            derive(photo_only.as_object().unwrap())
                .unwrap()
                .content
                .source(),
            ""
        );
    }
}
