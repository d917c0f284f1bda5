//! Wixup's integration tests: one binary (links once), every test against the real sandbox on
//! 127.0.0.1 port 0, with real files and real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod it {
    pub mod support;

    mod chaos;
    mod cli;
    mod engine;
    #[cfg(feature = "gui")]
    mod gui;
    mod interop;
    mod sandbox;
    mod sandbox_hardening;
    mod tus_client;
    mod wix_media;
}
