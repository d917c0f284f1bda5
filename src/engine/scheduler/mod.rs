//! The engine's actor: owns the job table, applies commands, starts workers within the
//! parallelism limit, turns worker reports into events, and keeps the journal current.
//!
//! `actor` holds the table and the loop; the other files add its methods by concern.

mod actor;
mod already;
mod commands;
mod links;
mod meter;
mod persist;
mod reports;
mod table;
mod tuner;

pub(super) use actor::spawn;
