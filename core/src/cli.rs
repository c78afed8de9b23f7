//! Shared shape of the binaries: `main` calls `run() -> anyhow::Result<()>` and reports an error
//! as one `error: …` line (with its causes) and exit status 2, without a backtrace.

use std::process::ExitCode;

/// Turn a binary's result into its exit status, printing the error chain on failure.
pub fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", chain_text(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes as one line, `outer: cause: …`, each cause said once: a cause whose
/// text the message already holds (an I/O error that prints its OS reason and also returns it
/// as its source) is not repeated.
pub fn chain_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let c = cause.to_string();
        if text.contains(&c) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&c);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::chain_text;

    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let io = std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "File exists (os error 17)",
        );
        let e = anyhow::Error::from(crate::error::io_err("/dev/null/x", io));
        assert_eq!(chain_text(&e), "/dev/null/x: File exists (os error 17)");
        let e = anyhow::anyhow!("inner reason").context("outer");
        assert_eq!(chain_text(&e), "outer: inner reason");
        assert_eq!(
            crate::error::human_bytes(3 << 30),
            "3.0 GiB",
            "the unit and the value"
        );
        assert_eq!(crate::error::human_bytes(512), "512 B");
    }
}
