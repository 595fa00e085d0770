//! The record made when a key is marked compromised, and its response checklist.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One step of the incident checklist (PRODUCT §7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// What to do.
    pub text: String,
    /// When it was ticked, if it was.
    #[serde(default)]
    pub done_at: Option<DateTime<Utc>>,
}

/// The record made when a key is marked compromised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// When it was marked.
    pub reported_at: DateTime<Utc>,
    /// Why, in the user's words.
    #[serde(default)]
    pub reason: String,
    /// The response steps.
    #[serde(default)]
    pub checklist: Vec<ChecklistItem>,
}

impl Incident {
    /// The standard response steps of PRODUCT §7.
    pub fn standard_checklist() -> Vec<ChecklistItem> {
        [
            "Disable the key at the provider",
            "Create a replacement key and rotate it in",
            "Review account activity since the last rotation",
            "Keep evidence (add notes to this entry)",
            "Contact the provider",
        ]
        .into_iter()
        .map(|text| ChecklistItem {
            text: text.to_owned(),
            done_at: None,
        })
        .collect()
    }
}
