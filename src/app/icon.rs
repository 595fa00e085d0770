//! The application icon (assets/keyward.svg, rendered to PNG): the window icon and the logo
//! on the unlock screen.

use eframe::egui;
use std::sync::OnceLock;

/// The 256 px rendering of `assets/keyward.svg`.
const ICON_PNG: &[u8] = include_bytes!("../../assets/keyward-256.png");

struct Decoded {
    rgba: Vec<u8>,
    width: u32,
    height: u32,
}

fn decoded() -> Option<&'static Decoded> {
    static DECODED: OnceLock<Option<Decoded>> = OnceLock::new();
    DECODED.get_or_init(|| decode(ICON_PNG)).as_ref()
}

/// Decodes an 8-bit RGBA PNG (the format the icon is written in).
fn decode(bytes: &[u8]) -> Option<Decoded> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let mut buffer = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buffer).ok()?;
    buffer.truncate(info.buffer_size());
    let rgba = match info.color_type {
        png::ColorType::Rgba => buffer,
        png::ColorType::Rgb => buffer
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        _ => return None,
    };
    Some(Decoded {
        rgba,
        width: info.width,
        height: info.height,
    })
}

/// The window icon, `None` if the embedded PNG cannot be read.
pub(crate) fn window_icon() -> Option<egui::IconData> {
    decoded().map(|d| egui::IconData {
        rgba: d.rgba.clone(),
        width: d.width,
        height: d.height,
    })
}

/// The icon as a texture, uploaded once per context.
pub(crate) fn texture(ctx: &egui::Context) -> Option<egui::TextureHandle> {
    let id = egui::Id::unique("keyward-icon-texture");
    if let Some(texture) = ctx.data(|d| d.get_temp::<egui::TextureHandle>(id)) {
        return Some(texture);
    }
    let d = decoded()?;
    let image =
        egui::ColorImage::from_rgba_unmultiplied([d.width as usize, d.height as usize], &d.rgba);
    let texture = ctx.load_texture("keyward-icon", image, egui::TextureOptions::LINEAR);
    ctx.data_mut(|data| data.insert_temp(id, texture.clone()));
    Some(texture)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_embedded_icon_decodes() {
        let icon = super::window_icon().expect("icon");
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
    }
}
