//! Small widgets shared by the views: labelled fields, secret text buffers, badges, colours.

use eframe::egui;
use std::ops::Range;

use chrono::{DateTime, Utc};
use egui::text::CharIndex;
use egui::{Color32, Response, RichText, TextBuffer, Ui};
use zeroize::Zeroize;

use crate::secret::SecretString;
use crate::vault::Field;
use crate::vault::policy::Urgency;
use crate::vault::providers::Severity;

/// A text buffer for secret input (passwords, API secrets): its memory is reserved up front so
/// typing does not leave reallocated copies behind, and it is zeroized when cleared or dropped.
pub struct SecretBuffer(String);

/// Room reserved for a secret so that typing a normal one never reallocates.
const SECRET_CAPACITY: usize = 4096;

impl Default for SecretBuffer {
    fn default() -> Self {
        SecretBuffer(String::with_capacity(SECRET_CAPACITY))
    }
}

impl SecretBuffer {
    /// A buffer holding a copy of `value`.
    pub fn from_secret(value: &SecretString) -> Self {
        let mut buffer = String::with_capacity(SECRET_CAPACITY.max(value.len() * 2));
        buffer.push_str(value.expose());
        SecretBuffer(buffer)
    }

    /// The text typed so far.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when nothing was typed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Moves the text into a [`SecretString`] and leaves this buffer empty (and wiped).
    pub fn take_secret(&mut self) -> SecretString {
        let secret = SecretString::new(self.0.as_str().to_owned());
        self.wipe();
        secret
    }

    /// Zeroizes and empties the buffer (keeping its capacity).
    pub fn wipe(&mut self) {
        // `zeroize` overwrites the whole capacity, not only the text, then empties it.
        self.0.zeroize();
        self.0.reserve(SECRET_CAPACITY);
    }

    fn byte_index(&self, char_index: CharIndex) -> usize {
        self.0
            .char_indices()
            .nth(char_index.0)
            .map_or(self.0.len(), |(i, _)| i)
    }
}

impl Drop for SecretBuffer {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl TextBuffer for SecretBuffer {
    fn is_mutable(&self) -> bool {
        true
    }

    fn as_str(&self) -> &str {
        &self.0
    }

    fn insert_text(&mut self, text: &str, char_index: CharIndex) -> usize {
        if self.0.len() + text.len() > self.0.capacity() {
            // Grow by hand: copy into a bigger buffer and wipe the old one.
            let mut bigger = String::with_capacity((self.0.len() + text.len()) * 2);
            bigger.push_str(&self.0);
            self.0.zeroize();
            self.0 = bigger;
        }
        let at = self.byte_index(char_index);
        self.0.insert_str(at, text);
        text.chars().count()
    }

    fn delete_char_range(&mut self, char_range: Range<CharIndex>) {
        let start = self.byte_index(char_range.start);
        let end = self.byte_index(char_range.end).max(start);
        let old_len = self.0.len();
        self.0.replace_range(start..end, "");
        // The bytes past the new end still hold the tail that moved left: overwrite them
        // with zeros (within the capacity, so nothing reallocates), then cut them off again.
        let new_len = self.0.len();
        self.0.extend(std::iter::repeat_n('\0', old_len - new_len));
        self.0.truncate(new_len);
    }

    fn clear(&mut self) {
        self.wipe();
    }

    fn replace_with(&mut self, text: &str) {
        self.wipe();
        self.insert_text(text, CharIndex(0));
    }

    fn take(&mut self) -> String {
        let text = self.0.as_str().to_owned();
        self.wipe();
        text
    }

    fn type_id(&self) -> std::any::TypeId {
        std::any::TypeId::of::<Self>()
    }
}

/// A label followed by a single-line text field tied to it for screen readers (and tests).
pub fn labelled_text<B: TextBuffer>(
    ui: &mut Ui,
    label: &str,
    text: &mut B,
    hint: &str,
    width: f32,
) -> Response {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(width),
    )
    .labelled_by(label.id)
}

/// A label followed by a masked password field tied to it.
pub fn labelled_password(
    ui: &mut Ui,
    label: &str,
    text: &mut SecretBuffer,
    width: f32,
) -> Response {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .password(true)
            .desired_width(width),
    )
    .labelled_by(label.id)
}

/// The colour that says how urgent something is.
pub fn urgency_color(ui: &Ui, urgency: Urgency) -> Color32 {
    match urgency {
        Urgency::Fine => ui.visuals().text_color(),
        Urgency::Soon => ui.visuals().warn_fg_color,
        Urgency::Overdue => ui.visuals().error_fg_color,
    }
}

/// The colour of a missing IP whitelist: the error colour when the audit calls it high or
/// critical (the key can trade or move funds), the warning colour otherwise.
pub fn exposure_color(ui: &Ui, severity: Severity) -> Color32 {
    if severity >= Severity::High {
        ui.visuals().error_fg_color
    } else {
        ui.visuals().warn_fg_color
    }
}

/// A small coloured tag ("withdraw", "prod").
pub fn badge(ui: &mut Ui, text: &str, color: Color32) -> Response {
    egui::Frame::new()
        .stroke(egui::Stroke::new(1.0, color))
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(4, 1))
        .show(ui, |ui| ui.label(RichText::new(text).color(color).small()))
        .inner
}

/// The rotation bar: `text` on its own line, and under it a thin bar filled to `fraction`
/// (0..=1) in `fill`, so that the filling never covers the words. A screen reader reads the
/// bar as "Rotation progress" with its percentage.
pub fn rotation_bar(ui: &mut Ui, fraction: f32, fill: Color32, text: &str) -> Response {
    ui.vertical(|ui| {
        ui.label(text);
        let width = ui.available_width().min(320.0);
        let (rect, response) = ui.allocate_exact_size(egui::vec2(width, 6.0), egui::Sense::hover());
        let fraction = fraction.clamp(0.0, 1.0);
        response.widget_info(|| {
            let mut info = egui::WidgetInfo::labeled(
                egui::accesskit::Role::ProgressIndicator,
                true,
                "Rotation progress",
            );
            info.value = Some(f64::from(fraction) * 100.0);
            info
        });
        if ui.is_rect_visible(rect) {
            let painter = ui.painter();
            painter.rect_filled(rect, 3.0, ui.visuals().extreme_bg_color);
            let mut filled = rect;
            filled.set_width(rect.width() * fraction);
            painter.rect_filled(filled, 3.0, fill);
        }
        response
    })
    .inner
}

/// "1 minute", "5 minutes": a count with its noun, singular for one. The one plural rule of
/// the app's texts.
pub fn plural(count: i64, noun: &str) -> String {
    if count == 1 || count == -1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// "today", "3 days ago", "in 12 days".
pub fn relative_days(date: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let days = (date - now).num_days();
    match days {
        0 => "today".to_owned(),
        d if d > 0 => format!("in {}", plural(d, "day")),
        d => format!("{} ago", plural(-d, "day")),
    }
}

/// `text` with its first letter in upper case: a library message shown as a sentence.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A date as the user reads it (UTC, day precision).
pub fn date(date: DateTime<Utc>) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The path shown to the user.
pub fn display_path(path: &std::path::Path) -> String {
    path.display().to_string()
}

/// The part's name inside a sentence ("Copy API key", "Reveal secret").
pub fn field_noun(field: Field) -> &'static str {
    match field {
        Field::Key => "API key",
        Field::Secret => "secret",
        Field::Passphrase => "passphrase",
        Field::PrivateKey => "private key",
        Field::PublicKey => "public key",
    }
}

/// The part's name as a title ("API key", "Secret").
pub fn field_title(field: Field) -> &'static str {
    match field {
        Field::Key => "API key",
        Field::Secret => "Secret",
        Field::Passphrase => "Passphrase",
        Field::PrivateKey => "Private key",
        Field::PublicKey => "Public key",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(plural(1, "minute"), "1 minute");
        assert_eq!(plural(0, "minute"), "0 minutes");
        assert_eq!(plural(5, "day"), "5 days");
        assert_eq!(plural(-1, "day"), "-1 day");
    }

    #[test]
    fn secret_buffer_edits_by_character() {
        let mut b = SecretBuffer::default();
        b.insert_text("héllo", CharIndex(0));
        b.insert_text("X", CharIndex(2));
        assert_eq!(b.expose(), "héXllo");
        b.delete_char_range(CharIndex(1)..CharIndex(3));
        assert_eq!(b.expose(), "hllo");
        let s = b.take_secret();
        assert_eq!(s.expose(), "hllo");
        assert!(b.is_empty());
    }

    #[test]
    fn relative_days_reads_naturally() {
        use chrono::TimeZone;
        let now = Utc
            .with_ymd_and_hms(2026, 1, 10, 0, 0, 0)
            .single()
            .expect("date");
        let day = chrono::Duration::days(1);
        assert_eq!(relative_days(now, now), "today");
        assert_eq!(relative_days(now + day * 3, now), "in 3 days");
        assert_eq!(relative_days(now - day * 3, now), "3 days ago");
    }
}
