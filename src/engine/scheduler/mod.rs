//! The engine's actor: owns the job table, applies commands, starts workers within the
//! parallelism limit, turns worker reports into events, and keeps the journal current.
//!
//! `actor` holds the table and the loop; the other files add its methods by concern: `table`
//! (one entry per job, its rules), `runtime` (what the actor does with a job now), `adding`
//! (files walked off the actor, a batch at a time), `commands`,
//! `already` (the duplicate check), `links` (imports), `reports` (from workers), `persist`
//! (the journal), `meter` (live figures), `tuner` (how many files send at once).

mod actor;
mod adding;
mod already;
mod commands;
mod links;
mod meter;
mod outage;
mod persist;
mod reports;
mod runtime;
mod table;
mod tuner;

pub(super) use actor::spawn;
