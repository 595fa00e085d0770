//! Copies a key's part, an old secret or a custom field to the timed clipboard, for
//! [`super::apply`].

use uuid::Uuid;

use super::Env;
use crate::app::state::Session;
use crate::app::status::StatusLine;
use crate::app::widgets::field_noun;
use crate::clipboard;
use crate::vault::Field;

pub(super) fn field(
    session: &Session,
    id: Uuid,
    field: Field,
    env: &mut Env,
) -> Option<StatusLine> {
    let entry = session.vault.by_id(id)?;
    let Some(value) = entry.credential.field(field) else {
        return Some(StatusLine::error(format!(
            "'{}' has no {field} to copy",
            entry.name
        )));
    };
    let label = format!("{} of {}", field_noun(field), entry.name);
    Some(to_clipboard(session, env, value.expose(), label))
}

pub(super) fn history(
    session: &Session,
    id: Uuid,
    index: usize,
    env: &mut Env,
) -> Option<StatusLine> {
    let entry = session.vault.by_id(id)?;
    let item = entry.history.get(index)?;
    let label = format!("previous {} of {}", item.field, entry.name);
    Some(to_clipboard(session, env, item.value.expose(), label))
}

pub(super) fn custom_field(
    session: &Session,
    id: Uuid,
    name: &str,
    env: &mut Env,
) -> Option<StatusLine> {
    let entry = session.vault.by_id(id)?;
    let field = crate::vault::find_custom_field(&entry.custom_fields, name)?;
    let label = format!("field {} of {}", field.name, entry.name);
    Some(to_clipboard(session, env, field.value.expose(), label))
}

/// Puts `text` on the timed clipboard for the vault's clipboard time, described as `label`.
/// A clear time the library refuses (0 s) copies nothing, as `keyward copy` refuses it.
pub(super) fn to_clipboard(
    session: &Session,
    env: &mut Env,
    text: &str,
    label: String,
) -> StatusLine {
    let clear_after = match clipboard::clear_delay(session.vault.settings.clipboard_seconds) {
        Ok(delay) => delay,
        Err(e) => return StatusLine::error(format!("Nothing copied: {e}")),
    };
    match env
        .clipboard
        .copy(text, label.clone(), clear_after, env.now)
    {
        Ok(()) => StatusLine::info(format!("Copied the {label}")),
        Err(e) => StatusLine::error(e.to_string()),
    }
}
