//! The built-in file browser "Choose…" opens where the desktop has no file chooser
//! (`chooser.rs`): a path field, the folders and files of one folder, up, and pick. It says
//! why it shows. Reading a folder that fails says so in a sentence
//! ([`crate::platform::io_sentence`]).

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use eframe::egui;
use egui::RichText;

use super::chooser::BrowseRequest;
use super::command::{Command, FilePick};
use super::widgets::{capitalised, display_path};
use crate::platform::io_sentence;

/// One line of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Item {
    pub name: String,
    pub is_dir: bool,
}

/// The folders, then the files, of `folder`, each sorted by name (hidden ones too: a
/// key file may well be hidden). The error is a sentence.
pub(crate) fn list_folder(folder: &Path) -> Result<Vec<Item>, String> {
    let entries = std::fs::read_dir(folder)
        .map_err(|e| capitalised(&io_sentence("reading the folder", folder, &e)))?;
    let mut items: Vec<Item> = entries
        .filter_map(Result::ok)
        .map(|entry| Item {
            name: entry.file_name().to_string_lossy().into_owned(),
            // A link to a folder opens as one.
            is_dir: entry.path().is_dir(),
        })
        .collect();
    items.sort_by(|a, b| {
        b.is_dir
            .cmp(&a.is_dir)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    Ok(items)
}

/// The browser's state: the pick it answers, the folder shown and the path typed.
pub(crate) struct FileBrowser {
    pick: FilePick,
    why: &'static str,
    reply: Sender<Option<PathBuf>>,
    folder: PathBuf,
    listing: Result<Vec<Item>, String>,
    /// The path field: what "Choose" answers.
    pub path: String,
    pub error: Option<String>,
}

impl FileBrowser {
    /// The browser for `request`, showing `start`.
    pub fn new(request: BrowseRequest, start: &Path) -> Self {
        let mut browser = FileBrowser {
            pick: request.pick,
            why: request.why,
            reply: request.reply,
            folder: PathBuf::new(),
            listing: Ok(Vec::new()),
            path: String::new(),
            error: None,
        };
        browser.open_folder(start.to_path_buf());
        browser
    }

    /// What the browser is choosing.
    pub fn pick(&self) -> FilePick {
        self.pick
    }

    /// The folder shown.
    #[cfg(test)]
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Hands `choice` to the waiting pick.
    pub fn answer(self, choice: Option<PathBuf>) {
        // The pick may be gone (its dialog closed): nobody to tell.
        let _ = self.reply.send(choice);
    }

    /// Shows `folder`; the path field becomes the folder (a save: the file in it).
    pub fn open_folder(&mut self, folder: PathBuf) {
        self.error = None;
        self.listing = list_folder(&folder);
        let shown = match self.pick.suggested_name() {
            Some(name) => folder.join(name),
            None => folder.clone(),
        };
        self.path = display_path(&shown);
        self.folder = folder;
    }

    /// Shows the folder above, if there is one.
    pub fn up(&mut self) {
        if let Some(parent) = self.folder.parent().map(Path::to_path_buf) {
            self.open_folder(parent);
        }
    }

    /// A line of the listing clicked: a folder opens, a file goes into the path field.
    pub fn click(&mut self, item: &Item) {
        let path = self.folder.join(&item.name);
        if item.is_dir {
            self.open_folder(path);
        } else {
            self.error = None;
            self.path = display_path(&path);
        }
    }

    /// The path field's answer, or why it cannot be chosen. A folder typed for a file opens
    /// (`Ok(None)`).
    pub fn choose(&mut self) -> Result<Option<PathBuf>, String> {
        let typed = self.path.trim();
        if typed.is_empty() {
            return Err("Type a path, or pick one in the list.".to_owned());
        }
        let path = PathBuf::from(typed);
        let shown = display_path(&path);
        if self.pick.is_folder() {
            return if path.is_dir() {
                Ok(Some(path))
            } else {
                Err(format!("The folder {shown} does not exist."))
            };
        }
        if path.is_dir() {
            self.open_folder(path);
            return Ok(None);
        }
        if self.pick.suggested_name().is_some() {
            // A save: the folder must be there; the file may be new.
            return match path.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(dir) if !dir.is_dir() => {
                    Err(format!("The folder {} does not exist.", display_path(dir)))
                }
                _ => Ok(Some(path)),
            };
        }
        if path.exists() {
            Ok(Some(path))
        } else {
            Err(format!("There is no file at {shown}."))
        }
    }

    /// "Choose" (or Enter in the path field): the answer, or the error shown.
    fn try_choose(&mut self, commands: &mut Vec<Command>) {
        match self.choose() {
            Ok(Some(path)) => commands.push(Command::BrowserDone(Some(path))),
            Ok(None) => {}
            Err(why) => self.error = Some(why),
        }
    }
}

/// Draws the browser over everything else.
pub(crate) fn browser_ui(
    ctx: &egui::Context,
    browser: &mut FileBrowser,
    commands: &mut Vec<Command>,
) {
    let response = egui::Modal::new(egui::Id::unique("file-browser")).show(ctx, |ui| {
        ui.set_width(560.0);
        ui.heading(browser.pick.title());
        ui.label(browser.why);
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let label = ui.label("Path");
            let field = ui
                .add(egui::TextEdit::singleline(&mut browser.path).desired_width(440.0))
                .labelled_by(label.id);
            if field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                browser.try_choose(commands);
            }
        });
        ui.horizontal(|ui| {
            let parent = browser.folder.parent().is_some();
            if ui
                .add_enabled(parent, egui::Button::new("Up"))
                .on_hover_text("Show the folder above")
                .clicked()
            {
                browser.up();
            }
            ui.label(RichText::new(display_path(&browser.folder)).weak());
        });
        let mut clicked = None;
        let mut chosen = None;
        egui::ScrollArea::vertical()
            .max_height(280.0)
            .auto_shrink([false, true])
            .show(ui, |ui| match &browser.listing {
                Err(why) => {
                    ui.colored_label(ui.visuals().error_fg_color, why);
                }
                Ok(items) if items.is_empty() => {
                    ui.label(RichText::new("This folder is empty.").weak());
                }
                Ok(items) => {
                    for item in items {
                        let text = if item.is_dir {
                            format!("{}/", item.name)
                        } else {
                            item.name.clone()
                        };
                        let response = ui.selectable_label(false, text);
                        if response.double_clicked() && !item.is_dir {
                            chosen = Some(item.clone());
                        } else if response.clicked() {
                            clicked = Some(item.clone());
                        }
                    }
                }
            });
        if let Some(item) = clicked {
            browser.click(&item);
        }
        if let Some(item) = chosen {
            browser.click(&item);
            browser.try_choose(commands);
        }
        if let Some(error) = &browser.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        ui.separator();
        ui.horizontal(|ui| {
            let choose = if browser.pick.is_folder() {
                "Choose this folder"
            } else {
                "Choose"
            };
            if ui.button(choose).clicked() {
                browser.try_choose(commands);
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::BrowserDone(None));
            }
        });
    });
    if response.should_close() {
        commands.push(Command::BrowserDone(None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn browser(pick: FilePick, start: &Path) -> (FileBrowser, mpsc::Receiver<Option<PathBuf>>) {
        let (reply, answer) = mpsc::channel();
        let request = BrowseRequest {
            pick,
            why: "why",
            reply,
        };
        (FileBrowser::new(request, start), answer)
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("b-folder")).expect("mkdir");
        std::fs::create_dir(dir.path().join("Z-folder")).expect("mkdir");
        std::fs::write(dir.path().join("a-file.csv"), "x").expect("write");
        std::fs::write(dir.path().join("b-folder").join("inner.csv"), "x").expect("write");
        dir
    }

    #[test]
    fn folders_come_first_then_files_each_by_name() {
        let dir = tree();
        let names: Vec<(String, bool)> = list_folder(dir.path())
            .expect("list")
            .into_iter()
            .map(|i| (i.name, i.is_dir))
            .collect();
        assert_eq!(
            names,
            [
                ("b-folder".to_owned(), true),
                ("Z-folder".to_owned(), true),
                ("a-file.csv".to_owned(), false)
            ]
        );
    }

    #[test]
    fn a_missing_folder_is_a_sentence_without_the_os_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let gone = dir.path().join("gone");
        let why = list_folder(&gone).expect_err("missing");
        assert!(why.starts_with("Reading the folder"), "{why}");
        assert!(why.contains("does not exist"), "{why}");
        assert!(!why.contains("os error"), "{why}");
    }

    #[test]
    fn navigating_into_a_folder_and_up_and_picking_a_file() {
        let dir = tree();
        let (mut b, answer) = browser(FilePick::ImportFrom, dir.path());
        b.click(&Item {
            name: "b-folder".into(),
            is_dir: true,
        });
        assert_eq!(b.folder(), dir.path().join("b-folder"));
        b.click(&Item {
            name: "inner.csv".into(),
            is_dir: false,
        });
        let inner = dir.path().join("b-folder").join("inner.csv");
        assert_eq!(b.path, display_path(&inner));
        assert_eq!(b.choose(), Ok(Some(inner.clone())));
        b.up();
        assert_eq!(b.folder(), dir.path());
        b.answer(Some(inner.clone()));
        assert_eq!(answer.recv().expect("answer"), Some(inner));
    }

    #[test]
    fn what_can_be_chosen_depends_on_the_pick() {
        let dir = tree();
        let (mut open, _a) = browser(FilePick::ImportFrom, dir.path());
        open.path = display_path(&dir.path().join("nope.csv"));
        let why = open.choose().expect_err("missing file");
        assert!(why.starts_with("There is no file at"), "{why}");
        // A folder typed for a file opens it.
        open.path = display_path(&dir.path().join("b-folder"));
        assert_eq!(open.choose(), Ok(None));
        assert_eq!(open.folder(), dir.path().join("b-folder"));

        let (mut save, _b) = browser(FilePick::SaveCalendar, dir.path());
        let suggested = dir.path().join("keyward-reminders.ics");
        assert_eq!(
            save.path,
            display_path(&suggested),
            "the save's name is suggested"
        );
        assert_eq!(save.choose(), Ok(Some(suggested)));
        save.path = display_path(&dir.path().join("no-dir").join("x.ics"));
        let why = save.choose().expect_err("missing folder");
        assert!(why.contains("does not exist"), "{why}");

        let (mut folder, _c) = browser(FilePick::ScanFolder, dir.path());
        assert_eq!(folder.choose(), Ok(Some(dir.path().to_path_buf())));
        folder.path = display_path(&dir.path().join("a-file.csv"));
        assert!(folder.choose().is_err(), "a file is no folder");
        folder.path = "  ".into();
        assert!(folder.choose().is_err());
    }
}
