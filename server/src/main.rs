//! The `quorumkey-server` binary: parses the command line, starts logging, runs the command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Settings may also come from a `.env` file in the working directory.
    let _ = dotenvy::dotenv();
    let cli = quorumkey_server::config::Cli::parse();
    quorumkey_server::telemetry::init_tracing(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("quorumkey-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(quorumkey_server::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("quorumkey-server: {e}");
            ExitCode::FAILURE
        }
    }
}
