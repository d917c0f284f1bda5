//! Wixup's integration tests: one binary (links once), every test against the real sandbox on
//! 127.0.0.1 port 0, with real files and real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod it {
    pub mod support;

    mod architecture;
    mod awake;
    mod big_batch;
    mod chaos;
    mod cli;
    mod cli_choices;
    mod cli_dedupe;
    mod cli_finalize;
    mod cli_format;
    mod cli_hardening;
    mod cli_import;
    mod crate_map;
    mod dedupe;
    mod empty_file;
    mod engine;
    mod engine_auto;
    mod engine_races;
    mod engine_runtime;
    mod engine_slots;
    mod forget;
    #[cfg(feature = "gui")]
    mod gui;
    #[cfg(feature = "gui")]
    mod gui_already;
    mod gui_choices;
    #[cfg(feature = "gui")]
    mod gui_clipboard;
    #[cfg(feature = "gui")]
    mod gui_copy;
    #[cfg(feature = "gui")]
    mod gui_delete;
    #[cfg(feature = "gui")]
    mod gui_events;
    #[cfg(feature = "gui")]
    mod gui_failed_restart;
    #[cfg(feature = "gui")]
    mod gui_formats;
    #[cfg(feature = "gui")]
    mod gui_history;
    #[cfg(feature = "gui")]
    mod gui_import;
    #[cfg(feature = "gui")]
    mod gui_keyboard;
    #[cfg(feature = "gui")]
    mod gui_network;
    #[cfg(feature = "gui")]
    mod gui_no_dialog;
    #[cfg(feature = "gui")]
    mod gui_notify;
    #[cfg(feature = "gui")]
    mod gui_open;
    #[cfg(feature = "gui")]
    mod gui_polish;
    #[cfg(feature = "gui")]
    mod gui_private;
    #[cfg(feature = "gui")]
    mod gui_row_bits;
    #[cfg(feature = "gui")]
    mod gui_settings;
    #[cfg(feature = "gui")]
    mod gui_settings_fit;
    #[cfg(feature = "gui")]
    mod gui_status_bar;
    #[cfg(feature = "gui")]
    mod gui_unreadable;
    mod hostile_cli;
    mod hostile_disk;
    mod hostile_engine;
    mod import_client;
    mod import_engine;
    mod import_sandbox;
    mod interop;
    mod journal;
    mod limit;
    pub mod links;
    mod location;
    mod location_formats;
    mod one_put;
    mod one_put_cli;
    mod outage;
    mod private_download;
    mod proxy;
    mod redacted;
    mod sandbox;
    mod sandbox_hardening;
    mod sandbox_ranges;
    mod sandbox_records;
    mod sandbox_state;
    mod sandbox_types;
    mod system_files;
    mod tls;
    mod tus_client;
    mod wix_client;
    mod wix_hostile;
    mod wix_media;
    mod wix_profile;
}
