//! Shell completions and the man page, generated from the clap definition
//! (clap_complete, clap_mangen), so they cannot drift from `--help`.

use crate::cli::Cli;
use crate::config::env::ENV_KEYS;
use clap::CommandFactory;
use clap_complete::{Generator, Shell};
use roff::{bold, italic, roman, Roff};
use std::io::{self, Write};

/// The date the man page carries (that of this version's release).
const RELEASE_DATE: &str = "2026-12-01";

/// Writes the completion script for `shell`.
pub(crate) fn completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    let mut command = Cli::command();
    command.set_bin_name("netmon");
    command.build();
    shell.try_generate(&command, out)
}

/// Writes the roff man page: clap's sections (the same text as `--help`)
/// plus configuration, environment, files and exit status.
pub(crate) fn manpage(out: &mut dyn Write) -> io::Result<()> {
    let man = clap_mangen::Man::new(Cli::command())
        .date(RELEASE_DATE)
        .source(format!("netmon {}", env!("CARGO_PKG_VERSION")))
        .manual("User Commands");
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    extra_sections().to_writer(out)?;
    man.render_version_section(out)
}

/// A section heading and its first paragraph.
fn section(roff: &mut Roff, heading: &str, text: &str) {
    roff.control("SH", [heading]).text([roman(text)]);
}

/// A tagged paragraph: `.TP`, the tag in bold, then the text.
fn item(roff: &mut Roff, tag: &str, text: &str) {
    roff.control("TP", []).text([bold(tag)]).text([roman(text)]);
}

/// The sections clap knows nothing of.
fn extra_sections() -> Roff {
    let mut roff = Roff::new();
    section(
        &mut roff,
        "CONFIGURATION",
        "Every setting has a default, so netmon runs without a configuration file. The file \
         is the first that exists of: the file named by -c (which must exist), ./config.yaml, \
         $XDG_CONFIG_HOME/netmon/config.yaml (or ~/.config/netmon/config.yaml), \
         /etc/netmon/config.yaml. Flags win over environment variables, which win over the \
         file. Unknown keys are an error naming the key; relative paths resolve against the \
         file's directory. The commented config.yaml shipped with netmon lists every key.",
    );
    section(
        &mut roff,
        "ENVIRONMENT",
        "A .env file in the working directory is loaded first and never overrides variables \
         already set. Any other NETMON_* variable is an error.",
    );
    item(&mut roff, "LOG_LEVEL", "overrides logging.level.");
    for key in ENV_KEYS {
        let setting = key.trim_start_matches("NETMON_").to_ascii_lowercase();
        item(&mut roff, key, &format!("overrides {setting}."));
    }
    item(
        &mut roff,
        "TZ",
        "the time zone recorded in a new database, in which its days and months are cut.",
    );
    roff.control("SH", ["FILES"]);
    for (path, what) in [
        (
            "/etc/netmon/config.yaml",
            "the system-wide configuration (installed by the package).",
        ),
        (
            "/var/lib/netmon/network_activity.db",
            "the service's database (SQLite; query it with sqlite3 or netmon --summary).",
        ),
        (
            "data/network_activity.db",
            "the default database, relative to the configuration file's directory.",
        ),
        (
            "logs/network_monitor.log",
            "the default log file (the package's configuration logs to the journal instead).",
        ),
    ] {
        item(&mut roff, path, what);
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in [
        ("0", "success."),
        (
            "1",
            "a runtime failure: another netmon monitors the database, the metrics address is \
             in use, the database to summarise does not exist, cycles could not be written.",
        ),
        (
            "2",
            "bad usage or configuration: a flag, key, value, path or file to correct; nothing \
             was written.",
        ),
        ("3", "an --alert limit was exceeded (the table says which)."),
        ("4", "--audit found bytes it cannot account for."),
    ] {
        item(&mut roff, code, meaning);
    }
    roff.control("SH", ["SEE ALSO"]);
    roff.text([
        italic("sqlite3"),
        roman("(1), "),
        italic("vnstat"),
        roman("(1), "),
        italic("prometheus"),
        roman("(1)"),
    ]);
    roff
}
