//! Completions, man page and the explain topics.

use crate::support::Sandbox;

#[test]
fn completions_for_every_shell_and_a_man_page() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = sb.run(&["completions", shell]).ok();
        for sub in ["bootstrap", "generate", "check", "explain"] {
            assert!(run.stdout.contains(sub), "{shell} completions lack {sub}");
        }
    }
    sb.run(&["completions", "tcsh"]).code(2);
    let man = sb.run(&["man"]).ok();
    assert!(man.stdout.contains(".TH tfboot 1"), "{}", man.stdout);
    assert!(man.stdout.contains("bootstrap"));
}

#[test]
fn explain_topics_state_the_facts() {
    let sb = Sandbox::new();
    let list = sb.run(&["explain"]).ok();
    for topic in ["locking", "bootstrap", "migrate-lock"] {
        assert!(list.stdout.contains(topic), "{topic} not listed");
    }
    let locking = sb.run(&["explain", "locking"]).ok().stdout;
    for fact in [
        ".terraform.lock.hcl",
        "LockID = \"<bucket>/<state path>\"",
        "`ID`, `Operation`, `Info`, `Who`, `Version`",
        "`Created` and `Path`",
        "<bucket>/<state path>-md5",
        "`Digest`",
        "is **not** the lock",
        ".tflock",
        "If-None-Match",
        "terraform force-unlock <ID>",
    ] {
        assert!(locking.contains(fact), "locking topic lacks {fact:?}");
    }
    let migrate = sb.run(&["explain", "migrate-lock"]).ok().stdout;
    assert!(migrate.contains("use_lockfile = true") && migrate.contains("dynamodb_table"));
    assert!(migrate.contains("1.11") && migrate.contains("OpenTofu"));
    let bootstrap = sb.run(&["explain", "bootstrap"]).ok().stdout;
    assert!(bootstrap.contains("override") && bootstrap.contains("-migrate-state -force-copy"));
}
