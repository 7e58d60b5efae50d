//! `tfboot locks` without a store to reach: what it refuses and why. The store itself is
//! exercised against the AWS emulator by tests/e2e/locks.sh.

use crate::support::Sandbox;

const STATE: &str =
    "[state]\nbackend = \"cloud\"\norganization = \"acme-corp\"\nworkspace_prefix = \"acme\"\n";

#[test]
fn locks_names_the_backends_it_reads() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        &format!("{STATE}\n[[env]]\nname = \"dev\"\n"),
    );
    sb.run(&["locks"])
        .code(2)
        .stderr_has("state.backend = \"cloud\": `tfboot locks` reads s3 stores in this version");
    sb.run(&["locks", "unlock", "envs/dev", "--id", "x"])
        .code(2)
        .stderr_has("reads s3 stores");
    sb.write(
        "tfboot.toml",
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\n\n[[env]]\nname = \"dev\"\n",
    );
    // No terminal to ask on: --yes is needed, and nothing is contacted before that.
    sb.run(&["locks", "unlock", "envs/dev", "--id", "x"])
        .code(2)
        .stderr_has("pass --yes");
    sb.run(&["locks", "unlock", "elsewhere", "--id", "x", "--yes"])
        .code(2)
        .stderr_has("elsewhere: neither a root directory nor a state key of the config");
    sb.run(&["locks", "--older-than", "soon"])
        .code(2)
        .stderr_has("examples: 30m, 2h, 1d");
}
