//! Shared shape of the binaries: `main` calls `run() -> anyhow::Result<()>` and reports an error
//! as one `error: …` line (with its causes) and exit status 2, without a backtrace.

use std::process::ExitCode;

/// Turn a binary's result into its exit status, printing the error chain on failure.
pub fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
