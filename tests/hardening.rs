//! Hostile trees for `check`, and faults while writing: no panic, no hang, no half-written file,
//! and the exit code and summary say exactly what happened.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::Sandbox;

fn check_json(dir: &Path) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tfboot"))
        .args(["check", "--format", "json"])
        .current_dir(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (
        out.status.code().unwrap_or(-1),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn findings(v: &serde_json::Value) -> Vec<(String, String)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const GOOD_LOCAL: &str = "terraform {\n  backend \"local\" {}\n}\n";

#[test]
fn non_utf8_binary_and_nested_files_are_findings_and_the_rest_is_checked() {
    let sb = Sandbox::new();
    sb.write("ok/main.tf", GOOD_LOCAL);
    std::fs::create_dir_all(sb.join("latin1")).unwrap();
    std::fs::write(sb.join("latin1/main.tf"), b"# caf\xe9\nterraform {}\n").unwrap();
    std::fs::create_dir_all(sb.join("binary")).unwrap();
    std::fs::write(
        sb.join("binary/main.tf"),
        (0u8..=255).cycle().take(4096).collect::<Vec<u8>>(),
    )
    .unwrap();
    sb.write(
        "deep/main.tf",
        &format!("{}{}", "a {\n".repeat(5000), "}\n".repeat(5000)),
    );
    sb.write(
        "deep2/main.tf",
        &format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
    );
    let (code, v, _) = check_json(sb.path());
    assert_eq!(code, 1);
    let f = findings(&v);
    for file in [
        "latin1/main.tf",
        "binary/main.tf",
        "deep/main.tf",
        "deep2/main.tf",
    ] {
        assert!(
            f.contains(&(file.to_string(), "parse-error".to_string())),
            "{file}: {f:?}"
        );
    }
    assert!(
        f.contains(&("ok/main.tf".to_string(), "local-backend".to_string())),
        "{f:?}"
    );
}

#[test]
fn a_50_mb_file_is_checked_without_hanging() {
    let sb = Sandbox::new();
    let block = "resource \"terraform_data\" \"r\" {\n  input = \"0123456789012345678901234567890123456789\"\n}\n\n";
    let mut text = String::with_capacity(51 * 1024 * 1024);
    text.push_str(GOOD_LOCAL);
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(block);
    }
    std::fs::create_dir_all(sb.join("big")).unwrap();
    std::fs::write(sb.join("big/main.tf"), &text).unwrap();
    let start = Instant::now();
    let (_, v, _) = check_json(sb.path());
    assert!(
        start.elapsed() < Duration::from_secs(120),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(
        findings(&v),
        [("big/main.tf".to_string(), "local-backend".to_string())]
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links_are_skipped() {
    let sb = Sandbox::new();
    sb.write("a/main.tf", GOOD_LOCAL);
    std::os::unix::fs::symlink("..", sb.join("a/loop")).unwrap();
    std::os::unix::fs::symlink("does-not-exist.tf", sb.join("a/gone.tf")).unwrap();
    let start = Instant::now();
    let (code, v, _) = check_json(sb.path());
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(code, 0);
    assert_eq!(
        findings(&v),
        [("a/main.tf".to_string(), "local-backend".to_string())]
    );
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_findings_not_crashes() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    sb.write("a/main.tf", GOOD_LOCAL);
    sb.write("b/main.tf", GOOD_LOCAL);
    std::fs::set_permissions(sb.join("b/main.tf"), std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable_anyway = std::fs::read(sb.join("b/main.tf")).is_ok(); // root reads everything
    let (_, v, _) = check_json(sb.path());
    let f = findings(&v);
    assert!(f.contains(&("a/main.tf".to_string(), "local-backend".to_string())));
    if !readable_anyway {
        assert!(
            f.contains(&("b/main.tf".to_string(), "parse-error".to_string())),
            "{f:?}"
        );
    }
    std::fs::set_permissions(sb.join("b/main.tf"), std::fs::Permissions::from_mode(0o644)).unwrap();
}

/// Every file under `dir` that carries tfboot's marker is complete: its hash matches. Temp files
/// (`.tfboot-*.tmp`) may remain only where `temps_allowed` (after a SIGKILL between create and
/// rename), never after an ordinary failure.
fn assert_files_complete(dir: &Path, temps_allowed: bool) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            assert_files_complete(&p, temps_allowed);
            continue;
        }
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".tfboot-")
        {
            assert!(temps_allowed, "temp file left behind: {}", p.display());
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            tfboot::write::provenance(&text),
            tfboot::write::Provenance::Generated,
            "{} is not complete",
            p.display()
        );
    }
}

fn assert_complete(dir: &Path) {
    assert_files_complete(dir, false);
}

#[test]
fn a_path_component_that_is_a_file_is_exit_2_and_nothing_is_written() {
    let sb = Sandbox::new();
    sb.write("infra", "a file, not a directory\n");
    let run = sb
        .run(&[
            "bootstrap",
            "--bucket",
            "acme-tfstate",
            "--region",
            "eu-west-1",
            "--out",
            "infra/state",
        ])
        .code(2);
    assert!(run.stderr.contains("infra"), "{}", run.stderr);
    assert_eq!(sb.read("infra"), "a file, not a directory\n");
}

/// Mount a tmpfs (needs root); `None` where this machine does not allow it.
fn tmpfs(dir: &Path, opts: &str) -> Option<()> {
    std::fs::create_dir_all(dir).ok()?;
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
        .arg(dir)
        .status()
        .ok()?
        .success();
    ok.then_some(())
}

fn umount(dir: &Path) {
    let _ = Command::new("umount").arg(dir).status();
}

#[test]
fn a_full_disk_leaves_no_partial_file_and_a_rerun_finishes() {
    let sb = Sandbox::new();
    let disk = sb.join("disk");
    if tmpfs(&disk, "size=12k").is_none() {
        eprintln!("SKIPPED disk-full test: cannot mount a tmpfs here");
        return;
    }
    let args = [
        "bootstrap",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
        "--out",
        "disk/mod",
    ];
    let run = sb.run(&args);
    let result = std::panic::catch_unwind(|| {
        assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("could not be written"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("not written: disk/mod/"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("rerun"), "{}", run.stderr);
        assert_complete(&sb.join("disk/mod"));
        let more = Command::new("mount")
            .args(["-o", "remount,size=1m"])
            .arg(&disk)
            .status()
            .unwrap();
        assert!(more.success());
        sb.run(&args).ok();
        assert_complete(&sb.join("disk/mod"));
        assert!(sb.join("disk/mod/backend.tf").exists() && sb.join("disk/mod/s3.tf").exists());
    });
    umount(&disk);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn a_read_only_target_is_exit_2_and_says_nothing_was_written() {
    let sb = Sandbox::new();
    let ro = sb.join("ro");
    if tmpfs(&ro, "ro,size=64k").is_none() {
        eprintln!("SKIPPED read-only test: cannot mount a tmpfs here");
        return;
    }
    let run = sb.run(&[
        "bootstrap",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
        "--out",
        "ro/mod",
    ]);
    umount(&ro);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("ro/mod"), "{}", run.stderr);
}

#[test]
fn a_run_killed_between_files_leaves_only_complete_files_and_can_be_rerun() {
    let sb = Sandbox::new();
    let mut cfg = String::from("[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\n");
    for i in 0..3000 {
        cfg.push_str(&format!("\n[[env]]\nname = \"e{i}\"\n"));
    }
    sb.write("tfboot.toml", &cfg);
    for delay_ms in [5u64, 30, 120] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tfboot"))
            .arg("generate")
            .current_dir(sb.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        if sb.join("envs").exists() {
            assert_files_complete(&sb.join("envs"), true);
        }
    }
    sb.run(&["generate"]).ok();
    sb.run(&["generate", "--check"]).ok();
    assert_eq!(std::fs::read_dir(sb.join("envs")).unwrap().count(), 3000);
}

/// Found by fuzzing: unclosed `{` after operators make the HCL parser backtrack exponentially
/// (each extra `r==tform* {` line doubles the time). tfboot gives up on such a file after its
/// budget and reports it, instead of hanging.
#[test]
fn a_file_the_parser_would_never_finish_is_given_up_not_hung_on() {
    let sb = Sandbox::new();
    sb.write("ok/main.tf", GOOD_LOCAL);
    sb.write(
        "evil/main.tf",
        &format!(
            "hi= rcnr==tYerraform* {{\n{}  }}",
            "r==tform* {\n".repeat(40)
        ),
    );
    let start = Instant::now();
    let (code, v, _) = check_json(sb.path());
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(code, 1);
    let d = v["diagnostics"].as_array().unwrap();
    let evil = d
        .iter()
        .find(|d| d["file"] == "evil/main.tf")
        .expect("a finding for evil/main.tf");
    assert_eq!(evil["rule"], "parse-error");
    assert!(
        evil["message"]
            .as_str()
            .unwrap()
            .contains("gave up parsing"),
        "{evil}"
    );
    assert!(findings(&v).contains(&("ok/main.tf".to_string(), "local-backend".to_string())));
}

/// Every input a fuzzer found a problem with, replayed through the real binary: the three files of
/// the `check_module` target (split at 0xFF bytes) checked as one module, finishing in bounded time.
#[test]
fn fuzz_regressions_replay_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz-regressions");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let sb = Sandbox::new();
        let names = ["main.tf", "prod.s3.tfbackend", ".terraform.lock.hcl"];
        for (bytes, name) in data.split(|b| *b == 0xFF).zip(names) {
            std::fs::write(sb.join(name), bytes).unwrap();
        }
        let start = Instant::now();
        let (code, _, stderr) = check_json(sb.path());
        assert!(
            code == 0 || code == 1,
            "{}: exit {code}: {stderr}",
            path.display()
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{}",
            path.display()
        );
    }
}
