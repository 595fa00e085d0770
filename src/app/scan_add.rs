//! "Add to vault" on an unknown hit of the leak scan (issue 15 item 3, the app's half): the
//! same [`crate::scan::adopt`] plan and [`adopt::Plan::add_to`] that `keyward scan --unknown
//! --add` uses — the provider's preset, key id and secret paired, the name from the variable
//! and the file, the places in the note, tagged so the audit reports "found in plain text".
//! First the plan is shown (the CLI's `--dry-run`); "Add" then creates the keys and saves,
//! and the hits they cover show as stored.

use chrono::{DateTime, Utc};
use eframe::egui;
use egui::{RichText, Ui};

use super::command::{Command, ScanAdd};
use super::jobs::Waker;
use super::scan_view::Finished;
use super::state::Session;
use super::status::StatusLine;
use super::tasks;
use super::widgets::{display_path, field_noun};
use crate::scan::adopt::{self, Plan};
use crate::scan::{Hit, HitStatus, Location};
use crate::vault::Field;

/// The keys "Add to vault" would create, shown before anything changes.
pub(crate) struct Preview {
    /// The plan `scan --unknown --add --dry-run` would print.
    pub plan: Plan,
}

/// Carries out a [`ScanAdd`]; returns what to say in the status bar.
pub(crate) fn apply(
    session: &mut Session,
    command: ScanAdd,
    waker: &Waker,
    now: DateTime<Utc>,
) -> Option<StatusLine> {
    match command {
        ScanAdd::Preview(index) => preview(session, index),
        ScanAdd::Cancel => {
            session.scan.adding = None;
            None
        }
        ScanAdd::Confirm => confirm(session, waker, now),
    }
}

/// The hit at `index` and the other half of its pair (a key id and its secret), if found.
fn with_partner(hits: &[Hit], index: usize) -> Vec<Hit> {
    let Some(hit) = hits.get(index) else {
        return Vec::new();
    };
    let pairs = |a: &Hit, b: &Hit| {
        a.location == b.location
            && a.pair
                .as_ref()
                .is_some_and(|p| p.line == b.line && p.column == b.column)
    };
    let mut chosen = vec![hit.clone()];
    chosen.extend(
        hits.iter()
            .filter(|h| h.status == HitStatus::Unknown && *h != hit)
            .filter(|h| pairs(hit, h) || pairs(h, hit))
            .cloned(),
    );
    chosen
}

fn preview(session: &mut Session, index: usize) -> Option<StatusLine> {
    let done = session.scan.done.as_ref()?;
    let detectors = done.detectors.as_ref()?;
    let hits = with_partner(&done.report.hits, index);
    if hits.first().is_none_or(|h| h.status != HitStatus::Unknown) {
        return None;
    }
    match adopt::plan(detectors, &session.vault, &hits) {
        Ok(plan) => {
            session.scan.adding = Some(Preview { plan });
            None
        }
        Err(e) => Some(StatusLine::error(format!("Nothing added: {e}"))),
    }
}

fn confirm(session: &mut Session, waker: &Waker, now: DateTime<Utc>) -> Option<StatusLine> {
    let preview = session.scan.adding.take()?;
    let plan = preview.plan;
    if plan.keys.is_empty() {
        return Some(StatusLine::error("Nothing added: no key to create"));
    }
    if let Err(e) = plan.add_to(&mut session.vault, now) {
        return Some(StatusLine::error(format!("Nothing added: {e}")));
    }
    session.providers.normalise(&mut session.vault);
    if let Some(done) = &mut session.scan.done {
        mark_stored(done, &plan);
    }
    session.changes += 1;
    session.cache.invalidate();
    tasks::start_save(session, waker);
    let names: Vec<String> = plan.keys.iter().map(|k| format!("'{}'", k.name)).collect();
    Some(StatusLine::info(format!(
        "Added {} to the vault, tagged {}; saving…",
        names.join(", "),
        adopt::FOUND_TAG
    )))
}

/// The hits the plan's keys cover now name their key: the vault stores those values.
fn mark_stored(done: &mut Finished, plan: &Plan) {
    for key in &plan.keys {
        for place in &key.places {
            let hit = done.report.hits.iter_mut().find(|h| {
                matches!(&h.location, Location::File { path } if *path == place.path)
                    && h.line == place.line
                    && h.column == place.column
            });
            if let Some(hit) = hit {
                hit.status = HitStatus::Stored;
                hit.entry = key.name.clone();
                hit.field = if place.field == Field::Key {
                    Field::Key
                } else {
                    key.credential.primary_field()
                };
            }
        }
    }
}

/// The preview panel: what will be created, "Add" and "Cancel".
pub(crate) fn preview_ui(
    ui: &mut Ui,
    preview: &Preview,
    done: &Finished,
    commands: &mut Vec<Command>,
) {
    let plan = &preview.plan;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new("Add to vault: nothing changes until you click Add").strong());
        for key in &plan.keys {
            let places: Vec<String> = key
                .places
                .iter()
                .map(|p| {
                    let path = p.path.strip_prefix(&done.folder).unwrap_or(&p.path);
                    format!(
                        "{} ({}) at {}:{}:{}",
                        field_noun(p.field),
                        p.rule,
                        display_path(path),
                        p.line,
                        p.column
                    )
                })
                .collect();
            let provider = if key.provider.is_empty() {
                "no provider preset".to_owned()
            } else {
                format!("provider {}", key.provider)
            };
            ui.label(format!(
                "Will add '{}' ({}, {provider}) from {}",
                key.name,
                key.credential.kind(),
                places.join(", ")
            ));
        }
        for (hit, why) in &plan.skipped {
            ui.label(
                RichText::new(format!(
                    "Not added: {} {} at line {} ({why})",
                    hit.provider,
                    field_noun(hit.field),
                    hit.line
                ))
                .weak(),
            );
        }
        if !plan.keys.is_empty() {
            ui.label(
                RichText::new(format!(
                    "Tagged {}: the note lists where it was found, and the audit reports it as \
                     found in plain text until it is rotated and the tag removed. The file \
                     is not changed.",
                    adopt::FOUND_TAG
                ))
                .weak(),
            );
        }
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!plan.keys.is_empty(), egui::Button::new("Add"))
                .clicked()
            {
                commands.push(Command::ScanAdd(ScanAdd::Confirm));
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::ScanAdd(ScanAdd::Cancel));
            }
        });
    });
}
