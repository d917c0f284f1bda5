//! Runs the engine for one CLI invocation: progress bars on stderr, `--json` lines on stdout,
//! the exit code.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::{
    self, Command, Destination, EngineConfig, Event, Job, JobId, JobOptions, JobResult, JobState,
};
use crate::export::{self, Format, Item};

use super::connection::OutputArgs;
use super::output::{self, say};
use crate::text::printable;
use crate::units::{format_eta, format_speed};

/// What one invocation queues.
pub enum Adding {
    /// `upload`: files and folders, and the choices they keep.
    Files(Vec<PathBuf>, Destination, JobOptions),
    /// `import`: links for Wix to fetch.
    Links(Vec<String>, Destination),
}

/// Adds files or links (or, for `resume`, continues the journal's unfinished jobs), reports
/// until every one of them finished, and returns 0 when all made it, 1 otherwise.
pub async fn run(
    config: EngineConfig,
    output: OutputArgs,
    files: Option<Adding>,
) -> anyhow::Result<ExitCode> {
    // Registered before anything starts, and kept: a Ctrl+C during a busy moment is not lost.
    let mut shutdown = super::signal::ShutdownSignal::new();
    let (handle, mut events) = engine::start(config, None)?;
    let mut r = Reporter::new(output.json, output.format.is_some());
    let adding = files.is_some();
    let links = matches!(files, Some(Adding::Links(..)));
    // Journal entries that could not be read count as files not uploaded.
    let mut journal_trouble = false;
    // `resume`: failed uploads it could not try again (their files are gone).
    let mut stuck = 0;
    if let Some(adding) = files {
        handle.send(match adding {
            Adding::Files(paths, destination, options) => Command::AddFiles {
                request: 1,
                paths,
                destination,
                options,
            },
            Adding::Links(urls, destination) => Command::AddLinks {
                request: 1,
                urls,
                destination,
            },
        });
    } else {
        for job in handle.snapshot().await {
            // Failed jobs the engine could not try again (it said why).
            stuck += usize::from(job.state == JobState::Failed);
            if !job.state.is_finished() {
                r.track(Box::new(job));
            }
        }
        // What the journal could not hold is said before anything else (the engine queues it
        // while it loads, before the snapshot's answer).
        while let Ok(ev) = events.try_recv() {
            if let Event::JournalError(_) = &ev {
                journal_trouble = true;
            }
            r.event(ev);
        }
        if r.waiting.is_empty() {
            handle.shutdown().await;
            if stuck > 0 {
                say(&format!(
                    "Nothing else to resume: {stuck} failed {} could not be tried again (see above).",
                    if stuck == 1 { "upload" } else { "uploads" }
                ));
                return Ok(ExitCode::from(1));
            }
            if journal_trouble {
                say("Nothing else to resume: every upload that could be read has finished.");
                return Ok(ExitCode::from(1));
            }
            say("Nothing to resume: every upload in the journal has finished.");
            return Ok(ExitCode::SUCCESS);
        }
    }
    let mut added_all = !adding;
    let interrupted = loop {
        if added_all && r.waiting.is_empty() {
            break false;
        }
        tokio::select! {
            ev = events.recv() => match ev {
                Some(Event::FilesAdded { added, duplicates, rejected, skipped, .. }) => {
                    added_all = true;
                    // On stderr, as every note: `--json` lines stay the files' own.
                    if let Some(sentence) = skipped.sentence() {
                        r.note(&sentence);
                    }
                    for (path, existing) in duplicates {
                        r.note(&format!("{}: already in the queue ({existing}); {} it once", crate::os_path::lossy(&path), if links { "importing" } else { "uploading" }));
                    }
                    for (path, why) in rejected {
                        r.rejected(&path, &why, links);
                    }
                    if added.is_empty() && r.waiting.is_empty() {
                        r.note(if links { "No links to import." } else { "No files to upload." });
                    }
                }
                Some(ev) => r.event(ev),
                None => break false,
            },
            _ = shutdown.recv() => break true,
        }
    };
    handle.shutdown().await;
    // What finished while the engine stopped (a file that was finishing at Ctrl+C) is reported
    // too, and belongs in the block.
    while let Ok(ev) = events.try_recv() {
        r.event(ev);
    }
    r.multi.clear().ok();
    // What finished, as one block, also after Ctrl+C (what did finish is worth pasting).
    if let Some(format) = output.format {
        r.print_block(format);
    }
    if interrupted {
        say(super::signal::stopped(added_all));
        return Ok(ExitCode::from(130));
    }
    if r.failed_jobs > 0 {
        say(&match r.failed_jobs {
            1 => "1 upload failed; `wixup resume` tries it again.".to_string(),
            n => format!("{n} uploads failed; `wixup resume` tries them again."),
        });
    }
    // Uploads missing from the history are sent again by the next run: not all is well.
    Ok(
        if r.failures == 0 && !journal_trouble && stuck == 0 && r.history_unsaved == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

struct Reporter {
    json: bool,
    /// `--format`: finished files are kept for the block printed at the end; without it, a
    /// file is forgotten once its line is out (a batch of 100,000 holds only what moves).
    block: bool,
    multi: MultiProgress,
    /// How many of the batch's files are done, above the bars of those that move.
    overall: ProgressBar,
    bars: HashMap<JobId, ProgressBar>,
    jobs: HashMap<JobId, Box<Job>>,
    /// Jobs in the order they were queued, and what each finished with, for `--format`.
    order: Vec<JobId>,
    results: HashMap<JobId, JobResult>,
    waiting: HashSet<JobId>,
    failures: usize,
    /// Queued jobs that failed (not paths refused before queuing, nor failures for good):
    /// `resume` retries them.
    failed_jobs: usize,
    /// Finished uploads the history could not take, as the engine last said.
    history_unsaved: usize,
}

impl Reporter {
    fn new(json: bool, block: bool) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(
            ProgressBar::new(0).with_style(
                ProgressStyle::with_template("{pos}/{len} files finished")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            ),
        );
        Self {
            json,
            block,
            multi,
            overall,
            bars: HashMap::new(),
            jobs: HashMap::new(),
            order: Vec::new(),
            results: HashMap::new(),
            waiting: HashSet::new(),
            failures: 0,
            failed_jobs: 0,
            history_unsaved: 0,
        }
    }

    /// A job to report on: its bar appears when it starts (a batch of thousands shows the few
    /// that move, not thousands of waiting bars redrawn at every step).
    fn track(&mut self, job: Box<Job>) {
        let (id, active) = (job.id, job.state.is_active());
        if self.waiting.insert(id) {
            self.overall.inc_length(1);
        }
        if self.jobs.insert(id, job).is_none() {
            self.order.push(id);
        }
        if active {
            self.bar(id);
        }
    }

    /// The bar of a job, made when first needed.
    fn bar(&mut self, id: JobId) -> Option<&ProgressBar> {
        if !self.bars.contains_key(&id) {
            let job = self.jobs.get(&id)?;
            let bar = self.new_bar(job);
            self.bars.insert(id, bar);
        }
        self.bars.get(&id)
    }

    fn new_bar(&self, job: &Job) -> ProgressBar {
        let style = ProgressStyle::with_template(
            "{prefix:30!} [{bar:28}] {percent:>3}% {binary_bytes:>10}/{binary_total_bytes:<10} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bar = self
            .multi
            .add(ProgressBar::new(job.size_bytes.max(1)).with_style(style));
        bar.set_prefix(printable(&job.name).into_owned());
        bar.set_position(job.acknowledged_bytes);
        bar
    }

    fn note(&self, text: &str) {
        self.multi.suspend(|| say(text));
    }

    fn event(&mut self, ev: Event) {
        match ev {
            Event::JobAdded(job) => self.track(job),
            Event::Progress {
                id,
                acknowledged_bytes,
                bytes_per_sec,
                eta,
                ..
            } => {
                if let Some(bar) = self.bar(id) {
                    bar.set_position(acknowledged_bytes);
                    let mut msg = String::new();
                    if let Some(s) = bytes_per_sec {
                        msg = format_speed(s);
                    }
                    if let Some(e) = eta {
                        msg.push_str(&format!(" · {} left", format_eta(e)));
                    }
                    bar.set_message(msg);
                }
            }
            Event::StateChanged { id, state } => {
                let link = self.jobs.get(&id).is_some_and(|j| j.origin.is_link());
                let bar = if state.is_active() {
                    self.bar(id)
                } else {
                    self.bars.get(&id)
                };
                if let Some(bar) = bar {
                    match state {
                        JobState::Finalizing => bar.set_message("finishing…"),
                        JobState::Processing => bar.set_message("processing on Wix…"),
                        JobState::Paused => bar.set_message("paused"),
                        JobState::Uploading if link => bar.set_message("asking Wix to import…"),
                        _ => {}
                    }
                }
            }
            Event::Retrying {
                id, attempt, delay, ..
            } => {
                if let Some(bar) = self.bars.get(&id) {
                    bar.set_message(format!(
                        "connection trouble, retrying in {} s (attempt {attempt})",
                        delay.as_secs()
                    ));
                }
            }
            Event::Finished { id, result } => {
                let Some(job) = self.jobs.get(&id) else {
                    return;
                };
                if let Some(bar) = self.bars.remove(&id) {
                    bar.finish_and_clear();
                }
                if self.waiting.remove(&id) {
                    self.overall.inc(1);
                }
                if self.json {
                    output::line(output::done_line(job, &result));
                }
                self.note(&output::done_note(job, &result));
                if result.verified.as_option() == Some(false) {
                    self.failures += 1;
                }
                if self.block {
                    self.results.insert(id, result);
                } else {
                    self.jobs.remove(&id);
                }
            }
            Event::Failed { id, error } => {
                let Some(job) = (if self.block {
                    self.jobs.get(&id).cloned()
                } else {
                    self.jobs.remove(&id)
                }) else {
                    return;
                };
                if let Some(bar) = self.bars.remove(&id) {
                    bar.finish_and_clear();
                }
                if self.waiting.remove(&id) {
                    self.overall.inc(1);
                }
                // One that failed for good (an empty file) is not promised to `resume`.
                self.failed_jobs += usize::from(!error.permanent);
                self.fail(
                    &job.path,
                    job.origin.is_link(),
                    &error.message,
                    job.size_bytes,
                );
            }
            Event::Note { id, message } => {
                let line = match self.jobs.get(&id) {
                    Some(job) => format!(
                        "note: {}: {}",
                        crate::os_path::lossy(&job.path),
                        printable(&message)
                    ),
                    None => format!("note: {}", printable(&message)),
                };
                self.note(&line);
            }
            Event::Removed(_)
            | Event::FilesAdded { .. }
            | Event::Checking { .. }
            | Event::Recorded(_) => {}
            Event::JournalError(e) => self.note(&format!("warning: {}", printable(&e))),
            Event::History { unsaved, message } => {
                // Written again after all: no longer a warning.
                let kind = if unsaved == 0 && self.history_unsaved > 0 {
                    "note"
                } else {
                    "warning"
                };
                self.note(&format!("{kind}: {}", printable(&message)));
                self.history_unsaved = unsaved;
            }
        }
    }

    fn rejected(&mut self, path: &Path, why: &str, link: bool) {
        let size = if link {
            0
        } else {
            std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
        };
        self.fail(path, link, why, size);
    }

    /// A file or link that did not make it: `path` is the link for an import.
    fn fail(&mut self, path: &Path, link: bool, message: &str, size: u64) {
        self.failures += 1;
        if self.json {
            output::line(output::failed_line(path, link, message, size));
        }
        self.note(&format!(
            "error: {}: {}",
            crate::os_path::lossy(path),
            printable(message)
        ));
    }

    /// `--format`: every finished file, in the order queued, as one block on stdout.
    fn print_block(&self, format: Format) {
        let items: Vec<Item<'_>> = self
            .order
            .iter()
            .filter_map(|id| Some((self.jobs.get(id)?, self.results.get(id)?)))
            // A copy whose hash differs from the file counts as failed: not for pasting.
            .filter(|(_, r)| r.verified.as_option() != Some(false))
            .map(|(job, result)| Item::of_job(job, result))
            .collect();
        output::text(&export::block(format, &items));
    }
}
