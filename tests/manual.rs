//! `--completions` and `--manpage`: generated from the clap definition, so
//! every flag is in every script and the man page says what `--help` says.

mod common;

use clap::CommandFactory;
use common::*;

/// Every long flag of the command line, as `--name`.
fn long_flags() -> Vec<String> {
    netmon::api::Cli::command()
        .get_arguments()
        .filter_map(|arg| arg.get_long().map(|long| format!("--{long}")))
        .collect()
}

#[test]
fn completions_for_every_shell_name_every_flag() {
    let sandbox = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = sandbox.run(&["--completions", shell]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            stderr(&output)
        );
        let script = stdout(&output);
        for flag in long_flags() {
            // fish writes `-l name`, the others `--name`.
            let named = script.contains(&flag) || script.contains(&format!("-l {}", &flag[2..]));
            assert!(named, "{shell} completion lacks {flag}");
        }
        if shell == "bash" {
            let checked = pipe("bash", &["-n"], &script);
            assert!(checked.status.success(), "bash -n: {}", stderr(&checked));
        }
    }
    assert!(
        !exists(&sandbox.db_path()),
        "printing a script writes nothing"
    );
    let output = sandbox.run(&["--completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
    let output = sandbox.run(&["--completions", "bash", "--once"]);
    assert_eq!(output.status.code(), Some(2));
}

/// The man page's text with roff's escapes undone, for comparing with `--help`.
fn man_text(roff: &str) -> String {
    roff.replace("\\-", "-")
        .replace("\\*(Aq", "'")
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
}

#[test]
fn man_page_says_what_help_says_and_lints_clean() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["--manpage"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = stdout(&output);
    let text = man_text(&page);
    for heading in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "CONFIGURATION",
        "ENVIRONMENT",
        "FILES",
        "EXIT STATUS",
    ] {
        let quoted = format!(".SH \"{heading}\"");
        assert!(
            page.contains(&format!(".SH {heading}\n")) || page.contains(&quoted),
            "no {heading}"
        );
    }
    for arg in netmon::api::Cli::command().get_arguments() {
        if let Some(help) = arg.get_help() {
            let help = help.to_string();
            assert!(text.contains(&help), "the man page lacks --help's {help:?}");
        }
    }
    for variable in ["NETMON_METRICS_LISTEN", "NETMON_DATABASE_FILE", "LOG_LEVEL"] {
        assert!(text.contains(variable), "{variable}");
    }
    assert!(text.contains("/etc/netmon/config.yaml"));
    if require(
        has_program("mandoc"),
        "mandoc is not installed (.ci/run installs it)",
    ) {
        let linted = pipe("mandoc", &["-Tlint", "-W", "warning"], &page);
        let report = format!("{}{}", stdout(&linted), stderr(&linted));
        assert!(linted.status.success() && report.is_empty(), "{report}");
    }
    let rendered = pipe("groff", &["-man", "-ww", "-z"], &page);
    assert!(
        rendered.status.success() && rendered.stderr.is_empty(),
        "groff: {}",
        stderr(&rendered)
    );
}
