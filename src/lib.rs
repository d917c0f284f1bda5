//! Wixup: upload photos, videos and documents to a Wix site's Media Manager with resumable
//! (tus 1.0) uploads, from a desktop window or the command line.
//!
//! # Layout
//!
//! ```text
//! main.rs              thin: arguments, tracing, the tokio runtime, dispatch, exit codes
//!
//! front ends ───────────────────────────────────────────────────────────────────────────────
//! gui/                 the desktop window (eframe/egui; feature `gui`); its map is in gui/mod.rs
//! cli/                 `wixup upload | import | resume | serve`: bars, --json, signals
//!   connection         --json/--format, the destination flags, the backend, said on stderr
//!   import             `wixup import`: links Wix fetches itself
//!   report             a run's progress bars and events, until every file finished
//!   output             a finished or failed file's --json line and the line a person reads
//!   signal             Ctrl+C, SIGTERM and SIGHUP: stop, say what finished
//!   serve              `wixup serve`: the sandbox as a server, HTTP or --tls
//! startup              the one start-up path of both: settings + environment → backend → the
//!                      embedded sandbox when that is the backend → EngineConfig
//! config               pure: which backend (production, WIXUP_API_BASE, saved site, sandbox)
//! settings/            settings.json as a person typed it
//!   secrets            the API key in the keychain (a 0600 file only where there is none)
//! export               finished files as text to paste: URLs, Markdown, HTML, CSV, wix:image
//!
//! the engine: the queue and the run of a job ─────────────────────────────────────────────────
//! engine/              one actor owning the job table; front ends send Commands, drain Events
//!   command            what a front end asks (imperative)
//!   event              what the engine reports (past tense), and the notifier that wakes a UI
//!   handle             starting an engine; the handle that sends it commands
//!   config             EngineConfig and StartMode: what an engine starts with
//!   job/               a job: state (id, state, transitions), file (the job, its options:
//!                      what the person chose), session (tus or one-PUT upload), result
//!     file             one file or link in the queue, its destination and options
//!     state            JobId and JobState with the transitions the engine allows
//!     session          the server-side uploads a job keeps in the journal
//!     result           what a job produced (JobResult), or why it failed (JobError)
//!   scheduler/         the actor
//!     actor            the loop; slots, and files prepared ahead of one
//!     table            one entry per job: the job, its runtime, its figures; the rules
//!     runtime          what the actor does with a job now: idle, held, checking, preparing,
//!                      running, stopping (one enum)
//!     adding           files walked off the actor, queued a batch at a time
//!     commands         pause, resume, cancel, retry, remove
//!     already          the duplicate check: files that may be on the site already
//!     links            imports from links, in batches
//!     reports          worker reports turned into job changes and events
//!     persist          the journal's side: the jobs at start, saving what changed,
//!                      forgetting what finished where finished jobs are not kept
//!     meter            live figures: speed, ETA
//!     tuner            parallelism that adapts to goodput and push-back
//!     outage           jobs that could reach nothing wait for the network, a probe says when
//!   run/               the run of one job (its own map in run/mod.rs)
//!     phase            an upload's phases and the choices between them (pure)
//!     upload           the loop over the phases; one Upload carries what goes across
//!     gate             the slot a worker prepared ahead waits for
//!     stage            the bytes to send: a photo's copy without its location
//!     session          Wix's upload URL and the tus creation, journaled first
//!     one_put          small files: generate-upload-url → one PUT; a lost answer is looked for
//!     snapshot         a one-PUT's body: the file read whole, found unchanged, hashed
//!     finalize         PUT {uploadUrl}/{uploadToken}, safe against a lost answer
//!     poll             waiting for READY or FAILED (uploads and imports)
//!     processing       a long wait for READY: said after a while, given up (resumable) later
//!     progress         what the tus client reports, as job progress and the streamed MD5
//!     import           links Wix fetches itself, in batches
//!   dedupe             hashing a file and asking the site for its earlier upload
//!   poller             one get-files poller for every file Wix is still processing
//!   journal/           the queue on disk: an append-only log (versioned, migrated, compacted)
//!     log              the log file: records, compaction
//!     load             reading it (and migrating older journals)
//!     record           one line of it
//!     writer           the thread that coalesces saves, so the actor never waits
//!     lock             one Wixup per data dir
//!     error            why the journal cannot be used, in words
//!   history_writer     finished uploads to history.jsonl, off the actor; keeps what a full
//!                      disk refused and writes it when it can
//!   report             what a worker tells the scheduler, and why it stopped
//!   describe           errors → the sentence a person reads (written once, here)
//!   shared             what every worker uses: the clients, the poller, the settings
//!   walk               folders into files
//!
//! the clients (no engine, no UI) ─────────────────────────────────────────────────────────────
//! tus/                 our tus 1.0 client
//!   status             what each status code means, in one table (pure)
//!   machine            discovery, creation, transfer: state + answer → next step (pure)
//!   step               the steps the machines decide (pure)
//!   protocol           headers, metadata, offsets (pure)
//!   client             the loop that executes steps
//!   wire               requests, under file_stream's stall check and body
//!   checksum           Upload-Checksum, as a header or a trailer
//!   chunk              chunk sizes that adapt to the link
//!   file               the local file behind an upload and its fingerprint
//!   error              one flat enum whose predicates drive retries
//! wix_media/           the Wix Media Manager REST client
//!   client             upload URLs, finalize, files
//!   plain              the one-PUT upload
//!   folders            folders: listed, created, found
//!   find               a file made by an upload whose answer was lost, looked for
//!   import             imports from links (single and bulk)
//!   download           a signed download URL (the way to a private file)
//!   transport          auth headers, decoding, and the one retry loop
//!   repeat             how each call may be repeated (a pure table)
//!   paging             the one bounded walk over cursor pages
//!   types              the JSON shapes, tolerant
//!   error              Wix's error bodies, decoded
//! retry                the retry schedule, count and sleep both clients use
//! net                  which proxy a request takes: loopback never, else automatic, none or
//!                      manual, applied to every HTTP client
//! awake                the sleep inhibitor (logind) held while files send
//! net_hints            the system's word on the network (woke up, connected): waits look now
//! trust                the certificates trusted beside the system's (a CA file), and which
//!                      HTTP each client speaks over HTTPS
//!
//! below the engine, beside the clients ───────────────────────────────────────────────────────
//! metadata/            what a file is and where its location hides, from its bytes
//!   sniff              the kind a file's first bytes start, and its MIME type
//!   tiff               EXIF's TIFF structure: the GPS IFD taken out
//!   xmp                an XMP packet's location properties blanked in place
//!   jpeg               segments, scans, the images after the first: EXIF, XMP, IPTC
//!   iptc               APP13's IPTC place names (city, country…) blanked in place
//!   png                chunks: eXIf, XMP, raw profiles, CRCs mended
//!   webp               RIFF chunks: EXIF and XMP
//!   gif                blocks to the XMP application extension, blanked in place
//!   bmff               ISO-BMFF boxes: the top level walked by seeking, mdat stepped over
//!   bmff_box           box headers, every size checked against the parent
//!   bmff_movie         MP4/MOV: udta ©xyz and loci, Apple's location keys, XMP boxes
//!   bmff_heif          HEIF/HEIC/AVIF items (Exif, XMP) through iinf and iloc
//!   window             a part of a file read as a whole one (a motion photo's video)
//!   testing            for the finders' tests: files real tools make, what exiftool reads
//! history/             finished uploads, kept after they leave the queue
//!   entry              one finished upload (HistoryEntry) and the site it went to
//!   file               history.jsonl: appended, read, never a torn line
//!   index              the duplicate index: this site's uploads by size and name hash, with
//!                      where each line is (read when a file matches)
//!
//! the sandbox (shares no protocol code with the clients; they meet over HTTP only) ──────────
//! sandbox/             a Wix-compatible server
//!   server             the listener, the connections, graceful stop
//!   tls                --tls: the certificate (made from a local CA, or given), ALPN h2
//!   config             credentials, limits, lifetimes, timeouts
//!   profile            wix (as Wix is known to be) or tus-full
//!   quirks             where the profiles differ, by name
//!   clock              what lifetimes run on (tests move it ahead)
//!   state              what the handlers share
//!   guard              host and key checks in front of every handler
//!   rate_limit         REST calls per minute, as Wix states it
//!   rest               upload URLs, files, listings, delete
//!   folders            folders, created on demand
//!   plain_upload       the one-PUT upload
//!   tus_server         the tus 1.0 server: creation, HEAD, PATCH, DELETE, OPTIONS
//!   tus_body           a PATCH body stored, checksummed
//!   tus_reply          tus answers and headers
//!   finalize           PUT {uploadUrl}/{token}: the file made from its upload
//!   processing         what a stored file is, from its bytes: type, size, FAILED
//!   image_size         HEIF/AVIF (`ispe`) and TIFF (IFD0) sizes from their structure
//!   refusal            files refused by content (JPEG XL: 406), nothing of them kept
//!   import             imports from links
//!   import_fetch       fetching a link (bounded)
//!   import_record      an import's record and its answer
//!   media              static URLs and resized images
//!   ranges             static URLs' Range, ETag and Last-Modified, streamed from disk
//!   media_cache        resized images on disk, bounded
//!   private_file       private files: refused at their public URL
//!   download           download URLs: signed, short-lived, the way to a private file
//!   descriptor         the FileDescriptor JSON, as Wix shapes it
//!   file_facts         a stored file's MD5
//!   store              records of uploads and files
//!   persist            records on disk
//!   disk               a failing data dir, told both sides
//!   ids                ids and tokens, Wix-sized
//!   locks              per-upload locks
//!   killable           work a stop can abandon
//!   reply              Wix's error answers
//!   faults             injected failures, for tests
//!   stats              counters tests and benchmarks read
//!
//! low helpers (import no feature module) ───────────────────────────────────────────────────
//! fs                   atomic writes (unique temp file, fsync, rename); MD5 of a file
//! clock                the one "now", on jiff
//! file_stream/         request bodies: a file range streamed, bytes in memory, the stall watch
//!   body               a file range read ahead into a body, with trailers
//!   memory             bytes in memory as a body (a one-PUT's snapshot)
//!   observer           progress and MD5 taps
//!   redact             same-length overwrites every read applies (a location taken out)
//!   watchdog           the stall check
//!   state              what a body and the watchdog share: how far, when bytes last moved
//!   throttle           the upload speed limit every body shares
//! imaging              bounded image decoding (sandbox transforms, window previews)
//! units                sizes, speeds and times left as people read them
//! size                 parsing `8MiB`
//! paths                where data lives (journal, settings, sandbox storage)
//! os_path              paths as exact bytes in JSON
//! text                 outside text made safe to print or show
//! redact               an API key that never formats
//! ```
//!
//! Dependencies point one way: `gui`, `cli` → `startup` → `engine` → {`tus`, `wix_media`,
//! `metadata`, `history`} → `retry` and the low helpers; no two files import each other, the
//! map above names every module and only files that exist (gui/mod.rs's too), and egui stays
//! in `gui/` (`tests/it/architecture.rs` checks all of it).
//!
//! # A dropped file's way to its URL
//!
//! 1. `gui/input.rs` turns the drop into an `AddPaths` action; after layout `gui/apply.rs`
//!    applies it, and `App::add_paths` (`gui/app.rs`) sends [`engine::Command::AddFiles`]
//!    through the [`engine::EngineHandle`] (never blocking), with the saved settings' choices
//!    ([`engine::JobOptions`]): they stay with the file through resume, restart and Retry.
//! 2. The actor (`engine/scheduler/adding.rs`) walks folders (`engine/walk.rs`), makes a
//!    [`engine::Job`] per file in its table (`engine/scheduler/table.rs`), checks a file that
//!    may be on the site already (`engine/scheduler/already.rs`, `engine/dedupe.rs`), hands the
//!    change to the journal's writer (`engine/scheduler/persist.rs`) and, within the parallel
//!    limit (`engine/scheduler/tuner.rs`), spawns a worker (`engine/scheduler/actor.rs`), or one
//!    that prepares ahead of a free slot; what each job is doing is its one runtime state
//!    (`engine/scheduler/runtime.rs`).
//! 3. The worker runs the upload's phases (`engine/run/upload.rs`, chosen in
//!    `engine/run/phase.rs`): the bytes to send (`engine/run/stage.rs`, with `metadata/`), an
//!    upload URL and token ([`wix_media::WixMediaClient`]) and the tus creation, or the one-PUT
//!    URL (`engine/run/one_put.rs`), then the slot, then the bytes: the tus client
//!    ([`tus::TusClient`]: `tus/machine.rs` decides each request and what each answer means,
//!    `tus/status.rs`, `tus/client.rs` runs the steps, `tus/wire.rs` sends them and
//!    `file_stream/body.rs` streams the file range) or one PUT of a snapshot.
//! 4. Progress flows back as reports (`engine/report.rs`, `engine/run/progress.rs`) that the
//!    actor (`engine/scheduler/reports.rs`) turns into [`engine::Event`]s; the window keeps one
//!    row each from them (`gui/queue.rs`, `gui/queue_row.rs`) and draws it (`gui/rows.rs`).
//! 5. When the bytes are in, the worker finalizes (`engine/run/finalize.rs`; a small file's one
//!    PUT made it already), frees its slot and waits for READY through the shared poller
//!    (`engine/poller.rs`, get-files); the job ends `Done` with the file's URL and thumbnail,
//!    which the row shows with a Copy button (`gui/thumbs.rs` fetches the thumbnail off the UI
//!    thread), and joins the history (`engine/history_writer.rs`, `history/file.rs`).
//!
//! On the other side of the HTTP, the sandbox answers the same steps: `sandbox/rest.rs` (upload
//! URL, files), `sandbox/tus_server.rs` (tus), `sandbox/finalize.rs`, `sandbox/media.rs` (the
//! static URL and thumbnails).

pub mod awake;
pub mod cli;
pub mod clock;
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
pub mod net;
pub mod net_hints;
pub mod os_path;
pub mod paths;
pub mod redact;
pub mod retry;
pub mod sandbox;
pub mod settings;
pub mod size;
pub mod startup;
pub mod text;
pub mod trust;
pub mod tus;
pub mod units;
pub mod wix_media;
