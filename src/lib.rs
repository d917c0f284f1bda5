//! Wixup: upload photos, videos and documents to a Wix site's Media Manager with resumable
//! (tus 1.0) uploads, from a desktop window or the command line.
//!
//! # Layout
//!
//! ```text
//! main.rs        thin: arguments, tracing, the tokio runtime, dispatch, exit codes
//!
//! front ends ─────────────────────────────────────────────────────────────────────────────
//! gui/           the desktop window (eframe/egui; feature `gui`, on by default); its own map
//!                is in gui/mod.rs: app (state) → frame (layout; views return actions) → apply
//! cli/           `wixup upload | resume | serve`: progress bars, --json lines, Ctrl+C
//! startup        the one start-up path of both: settings + environment → backend → the
//!                embedded sandbox when that is the backend → EngineConfig
//! config         pure: which backend (production, WIXUP_API_BASE, saved site, sandbox)
//! settings/      settings.json as a person typed it; secrets: the API key in the keychain
//!
//! the engine ─────────────────────────────────────────────────────────────────────────────
//! engine/        the queue, one actor owning the job table; front ends send Commands and
//!                drain Events (command, event, handle)
//!   scheduler/     the actor: actor (loop; slots, and files prepared ahead of one), table
//!                  (one entry per job; the state rules), commands, reports, persist, meter,
//!                  tuner (parallelism that adapts to goodput and push-back), links
//!   worker         one upload: prepare (upload URL, tus creation: session) → wait for a
//!                  slot → tus or one PUT → finalize → wait for READY; shared: what workers use
//!   poller         one get-files poller for every file Wix is still processing
//!   one_put        small files: generate-upload-url (prepare) → one PUT (transfer); a lost
//!                  answer is looked for on the site before anything is sent again
//!   walk, job      folders into files; a job, its states and its tus session
//!   journal/       the queue on disk: an append-only log (versioned, migrated, compacted)
//!                  and the writer thread that coalesces saves
//!   describe       errors → the sentence a person reads (written once, here)
//!   progress       what the tus client reports, turned into job progress and checksums
//!
//! the clients (no engine, no UI) ──────────────────────────────────────────────────────────
//! tus/           our tus 1.0 client. Pure: status (what each status means, in one table),
//!                machine (discovery, creation, transfer: state + answer → next step), step,
//!                protocol (headers, metadata, offsets). I/O: client (the loop that executes
//!                steps), wire (requests, under file_stream's stall check and body), checksum,
//!                chunk, file; error (one flat enum whose predicates drive retries)
//! wix_media/     the Wix Media Manager REST client: client (upload URLs, finalize, files),
//!                plain (one PUT), import, folders, find (a file whose answer was lost);
//!                transport (the one retry loop), repeat (how each call may be repeated: a
//!                pure table), paging (the one bounded walk over cursor pages); error, types
//! retry          the retry schedule, count and sleep both clients use
//!
//! below the engine, beside the clients (no engine, no UI) ─────────────────────────────────
//! metadata/      what a file is, from its bytes (sniff), its container walked (exif_block),
//!                a photo's location removed with its pixels untouched (location)
//! history/       finished uploads (`history.jsonl`) and their duplicate index (index)
//!
//! above the engine, for both front ends ──────────────────────────────────────────────────────
//! export         finished files as text to paste: URLs, Markdown, HTML, CSV, wix:image URIs
//!
//! the sandbox (shares no protocol code with the clients; they meet over HTTP only) ────────
//! sandbox/       a Wix-compatible server: rest, tus_server + tus_body, finalize, media,
//!                state (shared by handlers), store + persist (records on disk), faults;
//!                quirks (where the wix and tus-full profiles differ, by name), clock (what
//!                lifetimes run on; tests move it ahead), disk (a failing data dir, told both
//!                sides)
//!
//! low helpers (import no feature module) ───────────────────────────────────────────────────
//! fs             atomic writes (unique temp file, fsync, rename)
//! file_stream    a file range streamed as a request body (read ahead, progress and MD5 taps,
//!                trailers) and the stall watchdog: shared by tus and the one-PUT upload
//! imaging        bounded image decoding (sandbox transforms, window previews)
//! units, size    sizes, speeds and times left as people read them; parsing `8MiB`
//! paths          where data lives (journal, settings, sandbox storage)
//! os_path, text  paths as exact bytes in JSON; outside text made safe to print or show
//! redact         an API key that never formats
//! ```
//!
//! Dependencies point one way: `gui`, `cli` → `startup` → `engine` → {`tus`, `wix_media`} →
//! `retry`; no two files import each other (`tests/it/architecture.rs` checks this, the
//! directions above, and that egui stays in `gui/`).
//!
//! # A dropped file's way to its URL
//!
//! 1. `gui/input.rs` turns the drop into an `AddPaths` action; after layout `gui/apply.rs`
//!    applies it, and `App::add_paths` (`gui/app.rs`) sends [`engine::Command::AddFiles`]
//!    through the [`engine::EngineHandle`] (never blocking).
//! 2. The actor (`engine/scheduler/commands.rs`) walks folders (`engine/walk.rs`), makes a
//!    [`engine::Job`] per file in its table (`scheduler/table.rs`), hands the change to the
//!    journal's writer (`scheduler/persist.rs`) and, within the parallel limit (`tuner.rs`),
//!    spawns a worker (`scheduler/actor.rs`), or one that prepares ahead of a free slot.
//! 3. The worker (`engine/worker.rs`) checks the file is readable (`tus/file.rs`), asks Wix for
//!    an upload URL and token ([`wix_media::WixMediaClient`]), and creates the tus upload or
//!    resumes the journal's ([`tus::TusClient`]): `tus/machine.rs` decides each request and
//!    what each answer means (`tus/status.rs`), `tus/client.rs` runs the steps, `tus/wire.rs`
//!    sends them and `tus/body.rs` streams the file range.
//! 4. Progress flows back as reports (`engine/report.rs`, `engine/progress.rs`) that the actor
//!    (`scheduler/reports.rs`) turns into [`engine::Event`]s; the window mirrors them
//!    (`gui/queue.rs`) and draws one row each (`gui/rows.rs`).
//! 5. When the bytes are in, the worker finalizes (`PUT {uploadUrl}/{uploadToken}`; a small
//!    file's one PUT made it already), frees its slot and waits for READY through the shared
//!    poller (`engine/poller.rs`, get-files); the job ends `Done` with the file's URL and
//!    thumbnail, which the row shows with a Copy button (`gui/thumbs.rs` fetches the thumbnail
//!    off the UI thread).
//!
//! On the other side of the HTTP, the sandbox answers the same steps: `sandbox/rest.rs` (upload
//! URL, files), `sandbox/tus_server.rs` (tus), `sandbox/finalize.rs`, `sandbox/media.rs` (the
//! static URL and thumbnails).

pub mod cli;
pub mod config;
pub mod engine;
pub mod export;
pub mod file_stream;
pub mod fs;
#[cfg(feature = "gui")]
pub mod gui;
pub mod history;
pub mod imaging;
pub mod metadata;
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
pub mod units;
pub mod wix_media;
