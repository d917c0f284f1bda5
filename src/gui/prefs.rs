//! What the window remembers between runs about how it was left: the tab and the history search.
//! It lives in eframe's storage (a file of its own in the data dir, next to eframe's window
//! size), never in the engine's journal: losing it costs nothing but a click.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Tab {
    #[default]
    Queue,
    History,
}

/// Every field has a default, so a file from an older or newer version still loads.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct UiPrefs {
    /// The tab shown last.
    pub tab: Tab,
    /// What the History tab was filtered by.
    pub history_search: String,
}

/// The key under which eframe's storage holds the preferences.
const KEY: &str = "wixup-ui";

impl UiPrefs {
    /// The saved preferences, or the defaults when there are none or they cannot be read.
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Self {
        storage
            .and_then(|s| eframe::get_value(s, KEY))
            .unwrap_or_default()
    }

    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, KEY, self);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use eframe::Storage as _;

    use super::*;

    #[derive(Default)]
    struct Memory(HashMap<String, String>);

    impl eframe::Storage for Memory {
        fn get_string(&self, key: &str) -> Option<String> {
            self.0.get(key).cloned()
        }
        fn set_string(&mut self, key: &str, value: String) {
            self.0.insert(key.to_string(), value);
        }
        fn remove_string(&mut self, key: &str) {
            self.0.remove(key);
        }
        fn flush(&mut self) {}
    }

    #[test]
    fn preferences_round_trip_through_storage() {
        let mut storage = Memory::default();
        let prefs = UiPrefs {
            tab: Tab::History,
            history_search: "beach 2026".into(),
        };
        prefs.save(&mut storage);
        assert_eq!(UiPrefs::load(Some(&storage)), prefs);
    }

    #[test]
    fn missing_or_unreadable_preferences_are_the_defaults() {
        assert_eq!(UiPrefs::load(None), UiPrefs::default());
        let mut storage = Memory::default();
        storage.set_string(KEY, "not ron at all (".into());
        assert_eq!(UiPrefs::load(Some(&storage)), UiPrefs::default());
        // A file that knows only some fields keeps what it knows.
        storage.set_string(KEY, "(tab: History)".into());
        assert_eq!(UiPrefs::load(Some(&storage)).tab, Tab::History);
    }
}
