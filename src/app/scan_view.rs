//! The leak scan view, "Scan a folder…" (PRODUCT §9): a folder, the options of
//! `keyward scan`, the scan on a worker thread with live counters, and the places found
//! linked to their keys, each with "Mark compromised"; with "Keys not in the vault", the
//! keys found by pattern too, each with "Add to vault" ([`super::scan_add`]). The walk and
//! the matching are [`crate::scan`]'s; a hit names the key and the part, never the secret.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use eframe::egui;
use egui::{Align, Layout, RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::command::{Command, DialogRequest, FilePick, ScanAdd};
use super::jobs::{Job, PickJob};
use super::scan_add::{Preview, preview_ui};
use super::widgets::{display_path, field_noun};
use crate::scan::{self, Detectors, Hit, HitStatus, Location, Owner, Progress, ScanReport};
use crate::vault::{Status, Vault};

/// The scan view's state; dropped (and a running scan stopped) on lock.
#[derive(Default)]
pub(crate) struct ScanState {
    pub folder: String,
    pub hidden: bool,
    pub no_ignore: bool,
    pub git: bool,
    pub binary: bool,
    /// Also look for keys the vault does not hold, by pattern (`scan --unknown`).
    pub unknown: bool,
    pub pick: Option<PickJob>,
    pub running: Option<Running>,
    pub done: Option<Finished>,
    pub error: Option<String>,
    /// "Add to vault": the keys it would create, shown before anything changes.
    pub adding: Option<Preview>,
}

/// A scan in progress.
pub(crate) struct Running {
    pub job: Job<ScanReport>,
    pub progress: Arc<Progress>,
    pub started: Instant,
    pub folder: PathBuf,
    pub searched: usize,
    pub too_short: Vec<Owner>,
    pub detectors: Option<Arc<Detectors>>,
}

impl Drop for Running {
    /// A scan nobody waits for (the vault was locked) stops early.
    fn drop(&mut self) {
        self.progress.cancel.store(true, Ordering::Relaxed);
    }
}

/// A finished (or stopped) scan.
pub(crate) struct Finished {
    pub report: ScanReport,
    pub folder: PathBuf,
    pub elapsed: Duration,
    pub searched: usize,
    pub too_short: Vec<Owner>,
    pub stopped: bool,
    /// The key patterns the scan used ("Keys not in the vault"); "Add to vault" plans with
    /// the same ones.
    pub detectors: Option<Arc<Detectors>>,
}

impl Finished {
    /// Hits of keys the vault does not hold.
    pub fn unknown_hits(&self) -> usize {
        let unknown = |h: &&Hit| h.status == HitStatus::Unknown;
        self.report.hits.iter().filter(unknown).count()
    }
}

impl ScanState {
    /// True while the folder dialog or the scan runs.
    pub fn is_busy(&self) -> bool {
        self.pick.is_some() || self.running.is_some()
    }

    /// True while the scan runs (the view repaints to show the counters).
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// Asks the running scan to stop; it reports what it found so far.
    pub fn stop(&self) {
        if let Some(running) = &self.running {
            running.progress.cancel.store(true, Ordering::Relaxed);
        }
    }
}

/// Megabytes, as the counters show them.
fn megabytes(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// "12 files, 3.4 MB, 56.7 MB/s".
fn rate_text(files: u64, bytes: u64, elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64().max(0.001);
    format!(
        "{files} file(s), {:.1} MB, {:.1} MB/s",
        megabytes(bytes),
        megabytes(bytes) / seconds
    )
}

/// Where a hit is, as the user reads it: `path:line:column`, relative to the scanned folder.
fn place(hit: &Hit, folder: &Path) -> String {
    let short = |p: &Path| {
        display_path(
            p.strip_prefix(folder)
                .ok()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(p),
        )
    };
    match &hit.location {
        Location::File { path } => format!("{}:{}:{}", short(path), hit.line, hit.column),
        Location::Git {
            repository,
            commit,
            path,
        } => format!(
            "{path}:{}:{} in git history of {} (commit {})",
            hit.line,
            hit.column,
            short(repository),
            commit.get(..10).unwrap_or(commit)
        ),
    }
}

/// Draws the scan view.
pub(crate) fn scan_ui(
    ui: &mut Ui,
    state: &mut ScanState,
    vault: &Vault,
    commands: &mut Vec<Command>,
) {
    egui::CentralPanel::default().show(ui, |ui| {
        ui.heading("Leak scan");
        ui.label(
            RichText::new(
                "Finds every file where a stored secret (secret, token, passphrase, private \
                 key) appears in plain text, as `keyward scan` does, and with \"Keys not in \
                 the vault\" the keys it does not hold, by their providers' formats. Results \
                 name the key and the part, never the secret.",
            )
            .weak(),
        );
        ui.add_space(4.0);
        let idle = state.running.is_none();
        ui.horizontal(|ui| {
            let label = ui.label("Folder to scan");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut state.folder)
                        .hint_text("a folder path, or Choose…")
                        .desired_width(420.0),
                )
                .labelled_by(label.id);
            if ui
                .add_enabled(state.pick.is_none(), egui::Button::new("Choose…"))
                .clicked()
            {
                commands.push(Command::PickFile(FilePick::ScanFolder));
            }
            let ready = idle && !state.folder.trim().is_empty();
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui
                .add_enabled(ready, egui::Button::new("Scan"))
                .on_disabled_hover_text("Type or choose a folder first")
                .clicked()
                || (ready && enter)
            {
                commands.push(Command::StartScan);
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.add_enabled(
                idle,
                egui::Checkbox::new(&mut state.hidden, "Hidden files and folders"),
            );
            ui.add_enabled(
                idle,
                egui::Checkbox::new(&mut state.no_ignore, "Ignored files too"),
            )
            .on_hover_text("Do not honour .gitignore, .ignore and git exclude files");
            ui.add_enabled(idle, egui::Checkbox::new(&mut state.git, "Git history"))
                .on_hover_text(
                    "Also every file in every commit of each git repository found: a key \
                     deleted from the files still leaks from the history",
                );
            ui.add_enabled(idle, egui::Checkbox::new(&mut state.binary, "Binary files"))
                .on_hover_text("Also list secrets found in binary files");
            ui.add_enabled(
                idle,
                egui::Checkbox::new(&mut state.unknown, "Keys not in the vault"),
            )
            .on_hover_text(
                "Also find keys the vault does not hold, by their providers' published formats \
                 (AWS, GitHub, Stripe, exchanges, private keys…), each with \"Add to vault\"",
            );
        });
        if let Some(error) = &state.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        if let Some(running) = &state.running {
            let files = running.progress.files.load(Ordering::Relaxed);
            let bytes = running.progress.bytes.load(Ordering::Relaxed);
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(0.0)
                        .animate(true)
                        .desired_width(420.0)
                        .text(format!(
                            "Scanning: {}",
                            rate_text(files, bytes, running.started.elapsed())
                        )),
                );
                if ui.button("Stop scan").clicked() {
                    commands.push(Command::StopScan);
                }
            });
            return;
        }
        let Some(done) = &state.done else {
            return;
        };
        ui.add_space(4.0);
        ui.add(
            egui::ProgressBar::new(1.0)
                .desired_width(420.0)
                .text(format!(
                    "{}: {} in {:.1} s",
                    if done.stopped { "Stopped" } else { "Done" },
                    rate_text(
                        done.report.files_scanned,
                        done.report.bytes_scanned,
                        done.elapsed
                    ),
                    done.elapsed.as_secs_f64()
                )),
        );
        summary(ui, done);
        if done.report.hits.is_empty() {
            return;
        }
        if let Some(preview) = &state.adding {
            ui.add_space(4.0);
            preview_ui(ui, preview, done, commands);
        }
        ui.add_space(4.0);
        let line = ui.text_style_height(&egui::TextStyle::Body) + 8.0;
        TableBuilder::new(ui)
            .id_salt("scan-hits")
            .striped(true)
            .cell_layout(Layout::left_to_right(Align::Center))
            .column(Column::remainder().at_least(240.0).clip(true))
            .column(Column::initial(180.0).clip(true))
            .column(Column::initial(90.0))
            .column(Column::initial(150.0))
            .header(22.0, |mut header| {
                for title in ["Place (path:line:column)", "Key", "Part", ""] {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(line, done.report.hits.len(), |mut row| {
                    let index = row.index();
                    let Some(hit) = done.report.hits.get(index) else {
                        return;
                    };
                    let entry = vault.get(&hit.entry);
                    let place = place(hit, &done.folder);
                    row.col(|ui| {
                        ui.add(egui::Label::new(RichText::new(&place).monospace()).truncate());
                    });
                    if hit.status == HitStatus::Unknown {
                        unknown_row(&mut row, hit, index, commands);
                        return;
                    }
                    row.col(|ui| match entry {
                        Some(entry) => {
                            if ui
                                .add(egui::Button::new(&hit.entry).frame(false))
                                .on_hover_text("Open this key")
                                .clicked()
                            {
                                commands.push(Command::ShowEntry(entry.id));
                            }
                        }
                        None => {
                            ui.label(
                                RichText::new(format!("{} (no longer in the vault)", hit.entry))
                                    .weak(),
                            );
                        }
                    });
                    row.col(|ui| {
                        ui.label(field_noun(hit.field));
                    });
                    row.col(|ui| match entry {
                        Some(entry) if entry.status == Status::Compromised => {
                            ui.colored_label(ui.visuals().error_fg_color, "compromised");
                        }
                        Some(entry) => {
                            let mark = ui
                                .button("Mark compromised…")
                                .on_hover_text(
                                    "Open the incident checklist for this key: disable it at \
                                     the provider and rotate it",
                                )
                                .clicked();
                            if mark {
                                commands.push(Command::OpenDialog(DialogRequest::Compromise {
                                    id: entry.id,
                                    reason: format!("Found in plain text at {place}"),
                                }));
                            }
                        }
                        None => {}
                    });
                });
            });
    });
}

/// A key the vault does not hold: the provider and the rule, and "Add to vault…".
fn unknown_row(
    row: &mut egui_extras::TableRow<'_, '_>,
    hit: &Hit,
    index: usize,
    commands: &mut Vec<Command>,
) {
    row.col(|ui| {
        let provider = if hit.provider.is_empty() {
            "unknown key".to_owned()
        } else {
            format!("unknown {} key", hit.provider)
        };
        ui.label(RichText::new(provider).italics())
            .on_hover_text(format!("Not in the vault; found by the rule {}", hit.rule));
    });
    row.col(|ui| {
        ui.label(field_noun(hit.field));
    });
    row.col(|ui| {
        if matches!(hit.location, Location::Git { .. }) {
            ui.label(RichText::new("in git history").weak())
                .on_hover_text("Only a value in a file on disk can be added");
        } else if ui
            .button("Add to vault…")
            .on_hover_text(
                "Store this key (and its pair) with the provider's preset; shows what will be \
                 created first",
            )
            .clicked()
        {
            commands.push(Command::ScanAdd(ScanAdd::Preview(index)));
        }
    });
}

/// What the scan covered and what it left out.
fn summary(ui: &mut Ui, done: &Finished) {
    let report = &done.report;
    let unknown = done.unknown_hits();
    let hits = report.hits.len() - unknown;
    if unknown > 0 {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "{unknown} place(s) hold a key the vault does not hold (found by its \
                 provider's format): \"Add to vault…\" stores it, tagged {}.",
                scan::adopt::FOUND_TAG
            ),
        );
    }
    let text = if hits == 0 {
        format!(
            "No stored secret found in {} ({} secret value(s) searched).",
            display_path(&done.folder),
            done.searched
        )
    } else {
        format!(
            "{hits} place(s) hold a stored secret ({} secret value(s) searched). Each of \
             these keys should be treated as leaked: mark it compromised and rotate it.",
            done.searched
        )
    };
    if hits == 0 {
        ui.label(text);
    } else {
        ui.colored_label(ui.visuals().error_fg_color, text);
    }
    if !report.git_repositories.is_empty() {
        ui.label(
            RichText::new(format!(
                "Git history: {} blob(s) in {} repositor(ies).",
                report.git_blobs_scanned,
                report.git_repositories.len()
            ))
            .weak(),
        );
    }
    if report.binary_files_skipped > 0 {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "{} binary file(s) hold a stored secret but are not listed: tick \"Binary \
                 files\" to list them.",
                report.binary_files_skipped
            ),
        );
    }
    if !done.too_short.is_empty() {
        let names: Vec<String> = done
            .too_short
            .iter()
            .map(|o| format!("{} ({})", o.entry, field_noun(o.field)))
            .collect();
        ui.label(
            RichText::new(format!(
                "Not searched, shorter than {} characters: {}.",
                scan::MIN_SECRET_LEN,
                names.join(", ")
            ))
            .weak(),
        );
    }
    if !report.errors.is_empty() {
        egui::CollapsingHeader::new(format!(
            "{} file(s) or repositories could not be read",
            report.errors.len()
        ))
        .id_salt("scan-errors")
        .show(ui, |ui| {
            for e in &report.errors {
                ui.label(format!("{}: {}", display_path(&e.path), e.error));
            }
        });
    }
}
