//! The "Test signature" panel of the detail view (PRODUCT §9): signs a sample payload with
//! the selected key, to check a bot's signing code against a known-good signature. The
//! default algorithm and encoding and the signing itself are [`crate::keys`]'s, as for
//! `keyward sign`.

use eframe::egui;
use egui::{RichText, Ui};
use uuid::Uuid;

use super::command::Command;
use crate::keys::{self, SignatureAlgorithm, SignatureEncoding, SignatureScheme};
use crate::vault::Entry;
use crate::vault::providers::Providers;

const ALGORITHMS: [SignatureAlgorithm; 4] = [
    SignatureAlgorithm::HmacSha256,
    SignatureAlgorithm::HmacSha512,
    SignatureAlgorithm::Ed25519,
    SignatureAlgorithm::RsaSha256,
];
const ENCODINGS: [SignatureEncoding; 2] = [SignatureEncoding::Hex, SignatureEncoding::Base64];

/// A signature made by the panel.
struct Signed {
    scheme: SignatureScheme,
    payload_len: usize,
    text: String,
}

/// The panel's state: what is typed and chosen, and the last signature.
#[derive(Default)]
pub(crate) struct SignaturePanel {
    /// The key and the vault's change count the defaults were read for.
    read_for: Option<(Uuid, u64)>,
    payload: String,
    algorithm: Option<SignatureAlgorithm>,
    encoding: Option<SignatureEncoding>,
    /// Where the defaults come from, or why there is none.
    note: String,
    result: Option<Result<Signed, String>>,
}

impl SignaturePanel {
    /// Takes the defaults of `entry` (as `keyward sign` does) and forgets the last signature.
    /// The payload is kept while the same key stays selected.
    fn reset_for(&mut self, entry: &Entry, providers: &Providers, changes: u64) {
        if self.read_for.map(|(id, _)| id) != Some(entry.id) {
            self.payload.clear();
        }
        self.read_for = Some((entry.id, changes));
        self.result = None;
        let preset = providers.find(&entry.provider);
        match keys::default_scheme(&entry.credential, preset.map(|p| p.signature.as_str())) {
            Ok(scheme) => {
                self.algorithm = Some(scheme.algorithm);
                self.encoding = Some(scheme.encoding);
                self.note = match preset {
                    Some(p) => format!(
                        "Defaults for a {} with the {} preset.",
                        entry.credential.kind(),
                        p.name
                    ),
                    None => format!("Defaults for a {}.", entry.credential.kind()),
                };
            }
            Err(e) => {
                self.algorithm = None;
                self.encoding = None;
                self.note = format!("No default: {e}. Choose an algorithm and an encoding.");
            }
        }
    }
}

/// Draws the panel for `entry`.
pub(crate) fn signature_ui(
    ui: &mut Ui,
    panel: &mut SignaturePanel,
    entry: &Entry,
    providers: &Providers,
    changes: u64,
    commands: &mut Vec<Command>,
) {
    if panel.read_for != Some((entry.id, changes)) {
        panel.reset_for(entry, providers, changes);
    }
    egui::CollapsingHeader::new("Test signature")
        .id_salt("test-signature")
        .show(ui, |ui| {
            ui.label(
                RichText::new(
                    "Sign a sample payload with this key and compare with what your bot sends.",
                )
                .weak(),
            );
            let mut changed = false;
            let label = ui.label("Payload");
            changed |= ui
                .add(
                    egui::TextEdit::multiline(&mut panel.payload)
                        .hint_text("e.g. symbol=BTCUSDT&side=BUY&timestamp=…")
                        .desired_rows(2)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id)
                .changed();
            ui.horizontal(|ui| {
                let label = ui.label("Algorithm");
                egui::ComboBox::from_id_salt("signature-algorithm")
                    .selected_text(panel.algorithm.map_or("choose", |a| a.as_str()))
                    .show_ui(ui, |ui| {
                        for alg in ALGORITHMS {
                            changed |= ui
                                .selectable_value(&mut panel.algorithm, Some(alg), alg.as_str())
                                .changed();
                        }
                    })
                    .response
                    .labelled_by(label.id);
                let label = ui.label("Encoding");
                egui::ComboBox::from_id_salt("signature-encoding")
                    .selected_text(panel.encoding.map_or("choose", |e| e.as_str()))
                    .show_ui(ui, |ui| {
                        for encoding in ENCODINGS {
                            changed |= ui
                                .selectable_value(
                                    &mut panel.encoding,
                                    Some(encoding),
                                    encoding.as_str(),
                                )
                                .changed();
                        }
                    })
                    .response
                    .labelled_by(label.id);
            });
            ui.label(RichText::new(&panel.note).weak().small());
            if changed {
                panel.result = None;
            }
            let scheme = panel
                .algorithm
                .zip(panel.encoding)
                .map(|(algorithm, encoding)| SignatureScheme {
                    algorithm,
                    encoding,
                });
            if ui
                .add_enabled(scheme.is_some(), egui::Button::new("Sign"))
                .on_hover_text("Sign the payload exactly as typed, as `keyward sign` does")
                .clicked()
                && let Some(scheme) = scheme
            {
                let payload = panel.payload.as_bytes();
                panel.result = Some(
                    keys::sign(&entry.credential, scheme.algorithm, payload)
                        .map(|bytes| Signed {
                            scheme,
                            payload_len: payload.len(),
                            text: scheme.encoding.encode(&bytes),
                        })
                        .map_err(|e| format!("Not signed: {e}")),
                );
            }
            match &panel.result {
                Some(Ok(signed)) => {
                    ui.label(
                        RichText::new(format!(
                            "{} signature ({}) of the {}-byte payload:",
                            signed.scheme.algorithm, signed.scheme.encoding, signed.payload_len
                        ))
                        .weak(),
                    );
                    ui.add(
                        egui::Label::new(RichText::new(&signed.text).monospace())
                            .wrap_mode(egui::TextWrapMode::Wrap)
                            .selectable(true),
                    );
                    if ui.small_button("Copy signature").clicked() {
                        commands.push(Command::CopyText {
                            text: signed.text.clone(),
                            label: format!("signature by {}", entry.name),
                        });
                    }
                }
                Some(Err(e)) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                None => {}
            }
        });
}
