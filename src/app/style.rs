//! The app's look, set in one place: the type scale (every text style's size), and the one
//! kind of button the top bar uses. Views name a text style
//! (`RichText::small()`, `ui.heading`), never a point size.

use eframe::egui;
use egui::{FontFamily, FontId, TextStyle};

/// The type scale: a heading, the body and buttons, monospace for ids and rules, and small
/// text that stays readable (egui's default small text is 9 points).
pub(crate) const TYPE_SCALE: [(TextStyle, f32); 5] = [
    (TextStyle::Heading, 20.0),
    (TextStyle::Body, 13.5),
    (TextStyle::Button, 13.5),
    (TextStyle::Monospace, 12.5),
    (TextStyle::Small, 11.0),
];

/// The height of every top-bar widget (buttons, the menu, the search box).
pub(crate) const TOOLBAR_HEIGHT: f32 = 26.0;

/// Sets the type scale for both themes.
pub(crate) fn apply(ctx: &egui::Context) {
    ctx.all_styles_mut(|style| {
        for (text_style, size) in TYPE_SCALE {
            let family = if text_style == TextStyle::Monospace {
                FontFamily::Monospace
            } else {
                FontFamily::Proportional
            };
            style
                .text_styles
                .insert(text_style, FontId::new(size, family));
        }
    });
}

/// The top bar's spacing: wider button padding, the same gap between every widget.
pub(crate) fn toolbar_spacing(ui: &mut egui::Ui) {
    let spacing = ui.spacing_mut();
    spacing.button_padding = egui::vec2(10.0, 4.0);
    spacing.item_spacing.x = 6.0;
    spacing.interact_size.y = TOOLBAR_HEIGHT;
}

/// The one button of the top bar: framed, [`TOOLBAR_HEIGHT`] high, highlighted while its page
/// shows.
pub(crate) fn toolbar_button(text: &str, selected: bool) -> egui::Button<'_> {
    egui::Button::new(text)
        .selected(selected)
        .min_size(egui::vec2(0.0, TOOLBAR_HEIGHT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_scale_is_set_for_both_themes_and_ordered() {
        let ctx = egui::Context::default();
        apply(&ctx);
        for theme in [egui::Theme::Light, egui::Theme::Dark] {
            let style = ctx.style_of(theme);
            let size = |s: TextStyle| style.text_styles[&s].size;
            for (text_style, expected) in TYPE_SCALE {
                assert_eq!(size(text_style.clone()), expected, "{text_style:?}");
            }
            assert!(size(TextStyle::Small) < size(TextStyle::Body));
            assert!(size(TextStyle::Body) < size(TextStyle::Heading));
            assert!(size(TextStyle::Small) >= 10.0, "small text stays readable");
        }
    }
}
