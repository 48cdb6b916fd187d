//! Domain types built once at the edge and trusted afterwards: slugs, note content, notes.

pub mod content;
pub mod footnotes;
pub mod html;
pub mod indieauth;
pub mod media;
pub mod micropub;
pub mod note;
pub mod photo;
pub mod search;
pub mod slug;

pub use content::NoteContent;
pub use note::{Cursor, NewNote, Note, NoteUpdate, Photo};
pub use slug::Slug;
