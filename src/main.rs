//! `wixup`: arguments, logging, the tokio runtime, dispatch (the window with no subcommand),
//! exit codes. Everything else is in the library.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = wixup::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
                // A refused certificate is said once, in the file's message, with what to do;
                // the verifier's own log line would only repeat it at every retry.
                .unwrap_or_else(|_| {
                    tracing_subscriber::EnvFilter::new("warn,rustls_platform_verifier=off")
                }),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("wixup")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    #[cfg(feature = "gui")]
    if cli.command.is_none() {
        if !cli.paths.is_empty() && !cli.paths.iter().any(|p| p.exists()) {
            // `wixup frobnicate`: a mistyped command, not files to open.
            let shown: Vec<String> = cli.paths.iter().map(|p| p.display().to_string()).collect();
            eprintln!(
                "error: {} is neither a command nor an existing file or folder\n\nUsage: wixup [PATH]... | wixup <upload|import|resume|serve> ...  (see wixup --help)",
                shown.join(", ")
            );
            return ExitCode::from(2);
        }
        // The window runs on the main thread; the engine runs on the runtime's workers.
        let result = wixup::gui::run(cli.paths, runtime.handle().clone());
        runtime.shutdown_timeout(std::time::Duration::from_secs(2));
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {}", wixup::text::printable(&format!("{e:#}")));
                eprintln!(
                    "Without a display, use the command line: wixup upload PATH... (see wixup --help)"
                );
                ExitCode::from(1)
            }
        };
    }
    let code = runtime.block_on(wixup::cli::run(cli));
    // Don't wait for blocking reads still in flight after a cancel.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match code {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", wixup::text::printable(&format!("{e:#}")));
            ExitCode::from(1)
        }
    }
}
