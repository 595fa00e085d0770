//! A provider's monogram in the keys table: one or two letters of its name in a rounded
//! square of the preset's colour (`color` in providers.toml), or of a colour made from the
//! provider's id. Drawn, never fetched: no network, no bundled logos.

use eframe::egui;
use egui::{Color32, Response, Sense, Ui};

use crate::vault::providers::Provider;

/// The square's side.
pub(crate) const SIZE: f32 = 18.0;

/// The letters of `name`: the initials of its first two words, or its first two letters
/// ("Binance" → "Bi", "OKX" → "OK", "Interactive Brokers" → "IB"); "?" for no name.
pub(crate) fn letters(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let picked: String = match words.as_slice() {
        [] => return "?".to_owned(),
        [one] => one.chars().take(2).collect(),
        [first, second, ..] => first
            .chars()
            .take(1)
            .chain(second.chars().take(1))
            .collect(),
    };
    let mut chars = picked.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_else(|| "?".to_owned())
}

/// The square's colour: the preset's, else one of a fixed set picked by the id (the same
/// provider always gets the same one).
pub(crate) fn fill(preset: Option<&Provider>, id: &str) -> Color32 {
    if let Some([r, g, b]) = preset.and_then(Provider::rgb) {
        return Color32::from_rgb(r, g, b);
    }
    const PALETTE: [Color32; 8] = [
        Color32::from_rgb(0x1F, 0x6F, 0xEB),
        Color32::from_rgb(0x8E, 0x44, 0xAD),
        Color32::from_rgb(0x16, 0xA0, 0x85),
        Color32::from_rgb(0xC0, 0x39, 0x2B),
        Color32::from_rgb(0xD3, 0x54, 0x00),
        Color32::from_rgb(0x27, 0xAE, 0x60),
        Color32::from_rgb(0x2C, 0x3E, 0x50),
        Color32::from_rgb(0xB7, 0x95, 0x0B),
    ];
    // FNV-1a: stable across runs and platforms (std's hasher is not).
    let hash = id.to_lowercase().bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    PALETTE[hash as usize % PALETTE.len()]
}

/// Black or white, whichever reads better on `fill`.
pub(crate) fn ink(fill: Color32) -> Color32 {
    let luminance =
        0.299 * f32::from(fill.r()) + 0.587 * f32::from(fill.g()) + 0.114 * f32::from(fill.b());
    if luminance > 150.0 {
        Color32::BLACK
    } else {
        Color32::WHITE
    }
}

/// Draws the monogram of the provider `name` (its display name) in `fill`; a screen reader
/// reads "`name` monogram".
pub(crate) fn monogram_ui(ui: &mut Ui, name: &str, fill: Color32) -> Response {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(SIZE, SIZE), Sense::hover());
    let label = format!("{name} monogram");
    response.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Image, true, &label));
    if ui.is_rect_visible(rect) {
        let painter = ui.painter();
        painter.rect_filled(rect, 4.0, fill);
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            letters(name),
            egui::FontId::proportional(SIZE * 0.55),
            ink(fill),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::providers::Providers;

    #[test]
    fn letters_are_initials_or_the_first_two() {
        assert_eq!(letters("Binance"), "Bi");
        assert_eq!(letters("OKX"), "OK");
        assert_eq!(letters("Interactive Brokers"), "IB");
        assert_eq!(letters("kraken"), "Kr");
        assert_eq!(letters("x"), "X");
        assert_eq!(letters("  "), "?");
        assert_eq!(letters("écluse"), "Éc");
    }

    #[test]
    fn the_preset_colour_wins_and_others_are_stable() {
        let presets = Providers::builtin();
        let binance = presets.find("binance");
        assert_eq!(
            fill(binance, "binance"),
            Color32::from_rgb(0xF0, 0xB9, 0x0B)
        );
        assert_eq!(fill(None, "acme"), fill(None, "ACME"), "one colour per id");
        let ids = ["acme", "globex", "initech", "umbrella", "hooli"];
        let distinct: std::collections::HashSet<_> = ids.iter().map(|i| fill(None, i)).collect();
        assert!(distinct.len() > 1, "different ids get different colours");
        for p in &presets.list {
            assert!(p.rgb().is_some(), "{} has a colour", p.id);
        }
    }

    #[test]
    fn the_letters_contrast_with_the_square() {
        assert_eq!(ink(Color32::from_rgb(0xF0, 0xB9, 0x0B)), Color32::BLACK);
        assert_eq!(ink(Color32::from_rgb(0x24, 0x29, 0x2F)), Color32::WHITE);
    }
}
