//! Wixup: upload photos, videos and documents to a Wix site's Media Manager with resumable
//! (tus 1.0) uploads, from a desktop window or the command line.
//!
//! # Layout
//!
//! ```text
//! main.rs         thin: arguments, tracing, the tokio runtime, dispatch, exit codes
//! gui/            the desktop window (eframe/egui; feature `gui`, on by default)
//! settings        saved settings (settings.json) and the API key in the OS keychain
//! cli             `wixup upload | resume | serve`: progress bars, --json lines
//! config          which backend (production, WIXUP_API_BASE, embedded sandbox) and engine options
//! imaging         bounded image decoding (sandbox transforms, window previews)
//! paths           the one place that knows where data lives (journal, sandbox storage)
//! engine/         the queue: jobs and their states, workers, the journal, the data-dir lock
//!   ├── tus/        our tus 1.0 client: discovery, creation, PATCH loop, retries, stall detection
//!   └── wix_media/  the Wix Media Manager REST client: upload URLs, finalize, files, folders
//! sandbox/        a Wix-compatible server (REST + tus + static media) for tests and no-account use
//! retry           the retry schedule shared by the tus and Wix clients
//! redact, size    small helpers: keeping secrets out of text, parsing `8MiB`
//! os_path, text   paths as exact bytes in JSON; outside text made safe to print or show
//! clock           UTC calendar dates from Unix time
//! ```
//!
//! Dependencies point one way: `gui`, `cli` → `engine` → {`tus`, `wix_media`}. The `sandbox` shares no
//! protocol code with the clients; the two only talk over HTTP, so a bug in one cannot hide a bug
//! in the other.

pub mod cli;
pub mod config;
pub mod engine;
pub mod fs;
#[cfg(feature = "gui")]
pub mod gui;
pub mod imaging;
pub mod os_path;
pub mod paths;
pub mod redact;
pub mod retry;
pub mod sandbox;
pub mod settings;
pub mod size;
pub mod startup;
pub mod text;
pub mod tus;
pub mod wix_media;
