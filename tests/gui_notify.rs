//! Desktop notifications of issue 12 item 13, through egui_kittest with a fake notifier: the
//! day's summary at the first unlock, a key expiring while the app is open, nothing with
//! notifications off, and the Settings toggle (an app preference). No D-Bus is needed: the
//! app made by `KeywardApp::new` notifies nothing unless given a notifier.

#![cfg(unix)]

mod gui_support;

use std::sync::{Arc, Mutex};

use gui_support::*;
use keyward::app::Notifier;
use keyward::vault::{Credential, Entry, Vault};

const SECRET: &str = "tok-SECRET-do-not-show";

#[derive(Clone, Default)]
struct Recorded(Arc<Mutex<Vec<(String, String)>>>);

impl Notifier for Recorded {
    fn notify(&self, summary: &str, body: &str) {
        self.0
            .lock()
            .expect("lock")
            .push((summary.to_owned(), body.to_owned()));
    }
}

impl Recorded {
    fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.0.lock().expect("lock"))
    }
}

/// A key that expires two hours after the harness's start, and one that expires in a week.
fn vault() -> Vault {
    let mut vault = Vault::default();
    // Hours pass in these tests: no idle lock.
    vault.settings.idle_lock_minutes = 0;
    for (name, hours) in [("stripe-live", 2), ("kraken-read", 24 * 7)] {
        let mut entry = Entry::new(
            name,
            Credential::Token {
                token: SECRET.into(),
            },
            start() - day(5),
        );
        entry.expires_at = Some(start() + chrono::Duration::hours(hours));
        entry.rotate_every_days = Some(0);
        vault.add(entry).expect("add");
    }
    vault
}

fn unlocked_with(recorded: &Recorded) -> Gui {
    let mut gui = Gui::locked_on(&vault());
    gui.harness
        .state_mut()
        .notify_with(Box::new(recorded.clone()));
    gui.unlock(PASSWORD);
    assert!(!gui.app().is_locked(), "{}", gui.app().status_text());
    gui
}

#[test]
fn the_first_unlock_of_the_day_sums_up_and_an_expiry_while_open_is_notified_once() {
    let recorded = Recorded::default();
    let mut gui = unlocked_with(&recorded);
    let summary = recorded.take();
    assert_eq!(summary.len(), 1, "{summary:?}");
    assert_eq!(summary[0].0, "keyward: 2 keys need attention today");
    assert_eq!(summary[0].1, "Expiring soon (2): stripe-live, kraken-read");
    // Locked and unlocked the same day: no second summary.
    gui.click("Lock");
    gui.unlock(PASSWORD);
    assert_eq!(recorded.take(), vec![]);
    gui.advance(chrono::Duration::hours(1));
    assert_eq!(recorded.take(), vec![], "not expired yet");
    gui.advance(chrono::Duration::hours(2));
    let expired = recorded.take();
    assert_eq!(
        expired.iter().map(|n| n.0.as_str()).collect::<Vec<_>>(),
        ["Key expired: stripe-live"]
    );
    gui.advance(chrono::Duration::hours(2));
    assert_eq!(recorded.take(), vec![], "once");
    for (summary, body) in summary.iter().chain(&expired) {
        assert!(!summary.contains(SECRET) && !body.contains(SECRET));
    }
    // The next day's first unlock sums up again.
    gui.advance(day(1));
    gui.click("Lock");
    gui.unlock(PASSWORD);
    let next = recorded.take();
    assert_eq!(next.len(), 1, "{next:?}");
    assert_eq!(
        next[0].1,
        "Expired (1): stripe-live\nExpiring soon (1): kraken-read"
    );
}

#[test]
fn the_settings_toggle_turns_notifications_off_and_it_is_kept_in_the_app_preferences() {
    let recorded = Recorded::default();
    let mut gui = unlocked_with(&recorded);
    recorded.take();
    gui.click("Settings");
    assert!(gui.is_ticked("Desktop notifications"), "on by default");
    assert!(gui.app().prefs().notifications);
    gui.click("Desktop notifications");
    assert!(!gui.is_ticked("Desktop notifications"));
    assert!(!gui.app().prefs().notifications);
    gui.advance(chrono::Duration::hours(3));
    assert_eq!(recorded.take(), vec![], "off: the expiry is not notified");
    gui.click("Desktop notifications");
    assert!(gui.app().prefs().notifications);
    gui.advance(chrono::Duration::hours(1));
    assert_eq!(
        recorded.take(),
        vec![],
        "turning on brings back no old dates"
    );
}
