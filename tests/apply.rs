//! `tfboot bootstrap --apply` step sequencing, failure and resume, driven against a stand-in
//! `terraform` script that records its arguments (the real thing runs in the e2e test).

use crate::support::Sandbox;

const FAKE_TF: &str = r#"#!/bin/sh
echo "$(basename "$PWD"): $*" >> "$FAKE_TF_LOG"
case "$1" in
  apply) [ "$FAKE_TF_FAIL" = apply ] && { echo "boom" >&2; exit 1; } ;;
  state) [ "$FAKE_TF_EMPTY" = 1 ] || echo "aws_s3_bucket.state"; echo "aws_s3_bucket_versioning.state" ;;
  init) case "$*" in *-migrate-state*) [ "$FAKE_TF_FAIL" = migrate ] && exit 1 ;; esac ;;
esac
exit 0
"#;

fn setup() -> Sandbox {
    let sb = Sandbox::new();
    sb.write("fake-terraform", FAKE_TF);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            sb.join("fake-terraform"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    sb.write("emulator.tfbackend", "use_path_style = true\n");
    sb
}

fn args(sb: &Sandbox) -> Vec<String> {
    [
        "bootstrap",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
        "--apply",
        "--auto-approve",
        "--backend-config",
        "emulator.tfbackend",
        "--terraform",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([sb.join("fake-terraform").to_string_lossy().into_owned()])
    .collect()
}

fn run(sb: &Sandbox, env: &[(&str, &str)]) -> crate::support::Run {
    let log = sb.join("tf.log").to_string_lossy().into_owned();
    let a = args(sb);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let mut e = vec![("FAKE_TF_LOG", log.as_str())];
    e.extend_from_slice(env);
    sb.run_env(&a, &e)
}

#[cfg(unix)]
#[test]
fn runs_init_apply_then_migrates_state() {
    let sb = setup();
    let r = run(&sb, &[]).ok();
    assert!(r.stdout.contains("bootstrapped: the state of bootstrap is at s3://acme-tfstate/bootstrap/terraform.tfstate"), "{}", r.stdout);
    let log = sb.read("tf.log");
    let bc = format!(
        "-backend-config={}",
        std::fs::canonicalize(sb.join("emulator.tfbackend"))
            .unwrap()
            .display()
    );
    let expected = format!(
        "bootstrap: init -input=false\nbootstrap: apply -auto-approve -input=false\nbootstrap: state list\nbootstrap: init -input=false -migrate-state -force-copy {bc}\n"
    );
    assert_eq!(log, expected);
    assert!(!sb.join("bootstrap/bootstrap_override.tf").exists());
}

#[cfg(unix)]
#[test]
fn failed_step_stops_with_exit_1_and_a_rerun_continues() {
    let sb = setup();
    let r = run(&sb, &[("FAKE_TF_FAIL", "apply")]).code(1);
    assert!(r.stderr.contains("step 2/4 apply failed"), "{}", r.stderr);
    assert!(
        sb.join("bootstrap/bootstrap_override.tf").exists(),
        "state stays local"
    );

    std::fs::remove_file(sb.join("tf.log")).unwrap();
    let r = run(&sb, &[("FAKE_TF_FAIL", "migrate")]).code(1);
    assert!(
        r.stderr.contains("step 4/4 init -migrate-state"),
        "{}",
        r.stderr
    );
    assert!(!sb.join("bootstrap/bootstrap_override.tf").exists());

    // The bucket exists now: the rerun goes straight to the migration.
    std::fs::remove_file(sb.join("tf.log")).unwrap();
    run(&sb, &[])
        .ok()
        .stderr_has("continuing with the state migration");
    let log = sb.read("tf.log");
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.contains("-migrate-state"));
}

#[cfg(unix)]
#[test]
fn declined_apply_keeps_state_local() {
    let sb = setup();
    let r = run(&sb, &[("FAKE_TF_EMPTY", "1")]).code(1);
    assert!(
        r.stderr.contains("does not hold aws_s3_bucket.state"),
        "{}",
        r.stderr
    );
    assert!(sb.join("bootstrap/bootstrap_override.tf").exists());
    assert!(!sb.read("tf.log").contains("-migrate-state"));
}

#[test]
fn missing_terraform_binary_is_a_clear_error() {
    let sb = Sandbox::new();
    sb.run(&[
        "bootstrap",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
        "--apply",
        "--terraform",
        "no-such-terraform-binary",
    ])
    .code(2)
    .stderr_has("not found on PATH");
}

#[test]
fn missing_backend_config_file_is_exit_2() {
    let sb = Sandbox::new();
    sb.run(&[
        "bootstrap",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
        "--apply",
        "--backend-config",
        "nope.tfbackend",
    ])
    .code(2)
    .stderr_has("nope.tfbackend");
}
