//! `--quiet`, `--verbose` and the progress indicator (on a terminal only).

use crate::support::Sandbox;

fn monorepo(roots: usize) -> Sandbox {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\nlock = \"s3\"\n\n[discover]\nroots = [\"live/**\"]\n",
    );
    for i in 0..roots {
        sb.write(
            &format!("live/app{i:03}/main.tf"),
            "resource \"terraform_data\" \"x\" {}\n",
        );
    }
    sb
}

#[test]
fn quiet_prints_problems_only() {
    let sb = monorepo(3);
    let run = sb.run(&["generate", "--quiet"]).ok();
    assert_eq!(run.stdout, "", "quiet generate printed: {}", run.stdout);
    assert_eq!(run.stderr, "");
    assert!(sb.join("live/app000/backend.tf").exists());
    let run = sb.run(&["generate", "--check", "-q"]).ok();
    assert_eq!(run.stdout, "");
    // Drift is a problem: still reported.
    std::fs::remove_file(sb.join("live/app001/backend.tf")).expect("rm");
    sb.run(&["generate", "--check", "-q"])
        .code(1)
        .stdout_has("missing: live/app001/backend.tf");
    // Refusals and errors too.
    sb.write("live/app002/backend.tf", "# mine\n");
    sb.run(&["-q", "generate"]).code(1).stdout_has("refused");
    // check: findings stay, the summary line goes.
    sb.write(
        "bad/main.tf",
        "terraform {\n  backend \"s3\" {\n    bucket = \"Bad_Bucket\"\n    key = \"k\"\n  }\n}\n",
    );
    let run = sb.run(&["check", "-q", "bad"]).code(1);
    assert!(run.stdout.contains("invalid-bucket-name"), "{}", run.stdout);
    assert!(!run.stdout.contains("tfboot check:"), "{}", run.stdout);
    let clean = sb.run(&["check", "-q", "live/app000"]).ok();
    assert_eq!(clean.stdout, "");
    // Commands that only write files say nothing either.
    let quiet = Sandbox::new();
    assert_eq!(
        quiet
            .run(&["init", "--region", "eu-west-1", "-q"])
            .ok()
            .stdout,
        ""
    );
    assert_eq!(
        quiet.run(&["templates", "--export", "t", "-q"]).ok().stdout,
        ""
    );
    assert!(quiet.join("t/env/backend.tf.tera").exists());
    sb.run(&["generate", "-q", "-v"])
        .code(2)
        .stderr_has("cannot be used with");
}

#[test]
fn verbose_lists_every_file_and_times_phases() {
    let sb = monorepo(60);
    sb.run(&["generate"]).ok();
    let normal = sb.run(&["generate"]).ok();
    assert!(
        !normal.stdout.contains("unchanged live/"),
        "over 50 files: unchanged ones are not listed"
    );
    let verbose = sb.run(&["generate", "--verbose"]).ok();
    assert_eq!(
        verbose.stdout.matches("unchanged live/").count(),
        60,
        "{}",
        verbose.stdout
    );
    assert!(
        verbose.stderr.contains("tfboot: walk:"),
        "{}",
        verbose.stderr
    );
    let check = sb.run(&["check", "-v", "live"]).ok();
    assert!(check.stderr.contains("file(s) checked"), "{}", check.stderr);
}

/// Run `tfboot args` under a pseudo-terminal (util-linux `script`), returning everything it drew.
fn on_terminal(sb: &Sandbox, args: &str, env: &[(&str, &str)]) -> Option<String> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let bin = assert_cmd::cargo::cargo_bin("tfboot");
    let mut cmd = std::process::Command::new(script);
    cmd.args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .current_dir(sb.path())
        .env_remove("CI")
        .env("TERM", "xterm")
        .env("TFBOOT_PROGRESS_DELAY_MS", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("script");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Any phase of the indicator was drawn.
fn drew_progress(out: &str) -> bool {
    [
        "finding Terraform files",
        "reading and parsing",
        "rendering backends",
        "comparing with the files on disk",
        "writing",
        "checking modules",
    ]
    .iter()
    .any(|phase| out.contains(phase))
}

#[test]
fn progress_only_on_a_terminal() {
    let sb = monorepo(600);
    let Some(tty) = on_terminal(&sb, "generate", &[]) else {
        eprintln!("SKIPPED progress_only_on_a_terminal: no `script` to make a terminal");
        return;
    };
    assert!(drew_progress(&tty), "no progress on a terminal:\n{tty}");
    assert!(tty.contains("tfboot: 608 created"), "{tty}");
    let tty = on_terminal(&sb, "check live", &[]).expect("script");
    assert!(
        drew_progress(&tty),
        "no progress for check on a terminal:\n{tty}"
    );
    for (what, args, env) in [
        ("CI", "generate", vec![("CI", "true")]),
        ("TERM=dumb", "generate", vec![("TERM", "dumb")]),
        ("--quiet", "generate --quiet", vec![]),
    ] {
        let out = on_terminal(&sb, args, &env).expect("script");
        assert!(!drew_progress(&out), "progress drawn with {what}:\n{out}");
    }
    // Pipes never see it.
    let piped = sb
        .run_env(&["generate"], &[("TFBOOT_PROGRESS_DELAY_MS", "0")])
        .ok();
    assert!(!drew_progress(&piped.stderr), "{}", piped.stderr);
}
