//! `tfboot completions` and `tfboot man`.

use super::*;

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  tfboot completions bash > ~/.local/share/bash-completion/completions/tfboot"
)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub(super) fn cmd_completions(a: &CompletionsArgs, out: &mut dyn Write) -> Result<i32> {
    use clap::CommandFactory as _;
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), "tfboot", &mut buf);
    out.write_all(&buf).map_err(|e| Error::io("stdout", e))?;
    Ok(0)
}

pub(super) fn cmd_man(out: &mut dyn Write) -> Result<i32> {
    use clap::CommandFactory as _;
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .map_err(|e| Error::io("man page", e))?;
    out.write_all(&buf).map_err(|e| Error::io("stdout", e))?;
    Ok(0)
}
