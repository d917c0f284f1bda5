//! `wixup import [--json] [--folder ID | --path /a/b] [--private] URL...`: Wix fetches each link
//! itself. The same progress, JSON lines (`sourceUrl` instead of `path`) and exit codes as
//! `upload`; more than 100 links go to Wix in batches of 100.

use std::process::ExitCode;

use clap::Args;

use super::connection::{DestinationArgs, NetworkArgs, OutputArgs, connect};
use super::report::{self, Adding};
use crate::engine::{Destination, StartMode};
use crate::paths;
use crate::startup::EngineOptions;
use crate::tus::ChunkSize;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub destination: DestinationArgs,
    /// http or https links to files Wix can reach.
    #[arg(required = true, value_name = "URL")]
    pub urls: Vec<String>,
}

pub(super) async fn import(a: ImportArgs, net: NetworkArgs) -> anyhow::Result<ExitCode> {
    let data_dir = paths::data_dir();
    let conn = connect(&data_dir, net).await?;
    let options = EngineOptions {
        parallel: crate::engine::Parallelism::Auto,
        chunk_size: ChunkSize::Adaptive,
        // Other unfinished jobs in the journal stay as they are (`wixup resume` runs them).
        start: StartMode::Hold,
    };
    let cfg = super::connection::engine_config(&conn, &data_dir, options)?;
    let destination = Destination::from(a.destination);
    // The connection (and with it an embedded sandbox) lives until the report is done.
    let code = report::run(cfg, a.output, Some(Adding::Links(a.urls, destination))).await;
    drop(conn);
    code
}
