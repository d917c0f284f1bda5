//! What every engine-running command shares: its `--json` flag, where on the site files go,
//! and the backend through the one start-up path, saying on stderr what a person should know.

use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser as _};

use crate::export::Format;

use crate::startup::{self, BackendKind, Connection, SettingsUse};

#[derive(Debug, Clone, Copy, Args)]
pub struct OutputArgs {
    /// One JSON object per line on stdout per file as it finishes.
    #[arg(long)]
    pub json: bool,
    /// When the run ends, print every finished file on stdout, in the order given, as one
    /// block: `urls` (one per line), `markdown` (`![name](url)`), `html` (`<img>` tags) or
    /// `csv` (name,url,id,size,uri).
    #[arg(
        long,
        value_name = "FORMAT",
        conflicts_with = "json",
        ignore_case = true,
        value_parser = PossibleValuesParser::new(Format::ALL.map(Format::as_str))
            .map(|s| Format::parse(&s).unwrap_or(Format::Urls))
    )]
    pub format: Option<Format>,
}

/// Where on the site the files go.
#[derive(Debug, Args)]
pub struct DestinationArgs {
    /// Media Manager folder id the files go into.
    #[arg(long, conflicts_with = "path")]
    pub folder: Option<String>,
    /// Folder path such as /photos/2026 (created if missing).
    #[arg(long)]
    pub path: Option<String>,
    /// Make them private files.
    #[arg(long)]
    pub private: bool,
}

impl From<DestinationArgs> for crate::engine::Destination {
    fn from(a: DestinationArgs) -> Self {
        Self {
            folder_id: a.folder,
            path: a.path,
            private: a.private,
        }
    }
}

/// The backend through the one start-up path, saying on stderr what a person should know
/// (the sandbox's port was taken; uploads go to the local sandbox).
pub(super) async fn connect(data_dir: &std::path::Path) -> anyhow::Result<Connection> {
    let conn = startup::connect(startup::Spec::new(
        data_dir.to_path_buf(),
        SettingsUse::BackendOnly,
    ))
    .await?;
    if let Some(taken) = &conn.port_taken {
        eprintln!("{taken}");
    }
    if conn.kind == BackendKind::Embedded {
        eprintln!(
            "No Wix site configured (WIX_API_KEY/WIX_SITE_ID or Settings): files go to the local sandbox at {} (URLs are local).",
            conn.base
        );
    }
    Ok(conn)
}
