//! `tfboot bootstrap --apply` step sequencing, failure and resume, driven against a stand-in
//! `terraform` script that records its arguments (the real thing runs in the e2e test).

use crate::support::Sandbox;

const FAKE_TF: &str = r#"#!/bin/sh
here="$(basename "$PWD")"
case "$here" in tfboot-state-probe-*) here=probe ;; esac
echo "$here: $*" >> "$FAKE_TF_LOG"
case "$1" in
  apply)
    [ "$FAKE_TF_FAIL" = apply ] && { echo "boom" >&2; exit 1; }
    [ "$FAKE_TF_DECLINE" = 1 ] && { echo "Apply cancelled."; exit 1; }
    [ "$FAKE_TF_FAIL" = owned ] && { echo "Error: creating S3 Bucket (acme-tfstate): operation error S3: CreateBucket, https response error StatusCode: 409, api error BucketAlreadyOwnedByYou: Your previous request to create the named bucket succeeded and you already own it." >&2; exit 1; }
    [ "$FAKE_TF_EMPTY" = 1 ] || printf '%s' "$LOCAL_STATE" > terraform.tfstate ;;
  state)
    case "$2" in
      list) [ "$FAKE_TF_EMPTY" = 1 ] || echo "aws_s3_bucket.state"; echo "aws_s3_bucket_versioning.state" ;;
      pull) [ -f "$FAKE_TF_REMOTE" ] && cat "$FAKE_TF_REMOTE" ;;
      push) for a; do f="$a"; done; cp "$f" "$FAKE_TF_REMOTE" ;;
    esac ;;
  init) case "$*" in *-reconfigure*) [ "$FAKE_TF_FAIL" = reconfigure ] && exit 1 ;; esac ;;
esac
exit 0
"#;

/// What the stand-in's `apply` leaves as local state.
const LOCAL_STATE: &str = r#"{"version":4,"serial":3,"lineage":"local-1","resources":[{"mode":"managed","type":"aws_s3_bucket","name":"state","instances":[{"attributes":{"bucket":"acme-tfstate"}}]}]}"#;

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
    let remote = sb.join("remote.tfstate").to_string_lossy().into_owned();
    let mut e = vec![
        ("FAKE_TF_LOG", log.as_str()),
        ("FAKE_TF_REMOTE", remote.as_str()),
        ("LOCAL_STATE", LOCAL_STATE),
    ];
    e.extend_from_slice(env);
    sb.run_env(&a, &e)
}

#[cfg(unix)]
#[test]
fn runs_init_apply_then_copies_state_into_the_empty_key() {
    let sb = setup();
    let r = run(&sb, &[]).ok();
    assert!(r.stdout.contains("bootstrapped: the state of bootstrap is at s3://acme-tfstate/bootstrap/terraform.tfstate"), "{}", r.stdout);
    assert!(
        r.stdout.contains("copied the local state there"),
        "{}",
        r.stdout
    );
    let log = sb.read("tf.log");
    let bc = format!(
        "-backend-config={}",
        std::fs::canonicalize(sb.join("emulator.tfbackend"))
            .unwrap()
            .display()
    );
    let local = std::fs::canonicalize(sb.join("bootstrap"))
        .unwrap()
        .join("terraform.tfstate");
    let expected = format!(
        "bootstrap: init -input=false -no-color\n\
         bootstrap: apply -no-color -auto-approve -input=false\n\
         bootstrap: state list\n\
         probe: init -input=false -no-color {bc}\n\
         probe: state pull\n\
         probe: state push -lock-timeout=120s {}\n\
         probe: state pull\n\
         bootstrap: init -input=false -reconfigure -no-color {bc}\n",
        local.display()
    );
    assert_eq!(log, expected);
    assert!(!sb.join("bootstrap/bootstrap_override.tf").exists());
    assert_eq!(sb.read("remote.tfstate"), LOCAL_STATE);
    // The local copy is out of Terraform's way, under a name that says what it is.
    assert!(!sb.join("bootstrap/terraform.tfstate").exists());
    let moved: Vec<String> = std::fs::read_dir(sb.join("bootstrap"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("terraform.tfstate.migrated-"))
        .collect();
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(sb.read(&format!("bootstrap/{}", moved[0])), LOCAL_STATE);
    assert!(
        r.stdout.contains(&format!(
            "moved the local state aside to bootstrap/{}",
            moved[0]
        )),
        "{}",
        r.stdout
    );
}

#[cfg(unix)]
#[test]
fn failed_step_stops_with_exit_1_and_a_rerun_continues() {
    let sb = setup();
    let r = run(&sb, &[("FAKE_TF_FAIL", "apply")]).code(1);
    assert!(r.stderr.contains("step 2/5 apply failed"), "{}", r.stderr);
    assert!(
        sb.join("bootstrap/bootstrap_override.tf").exists(),
        "state stays local"
    );

    std::fs::remove_file(sb.join("tf.log")).unwrap();
    let r = run(&sb, &[("FAKE_TF_FAIL", "reconfigure")]).code(1);
    assert!(
        r.stderr.contains("step 5/5 init -reconfigure"),
        "{}",
        r.stderr
    );
    assert!(!sb.join("bootstrap/bootstrap_override.tf").exists());

    // The state is in the bucket now: the rerun finds it there and copies nothing.
    std::fs::remove_file(sb.join("tf.log")).unwrap();
    let r = run(&sb, &[])
        .ok()
        .stderr_has("checking where the module's state is");
    assert!(
        r.stdout.contains("there already, nothing was copied"),
        "{}",
        r.stdout
    );
    let log = sb.read("tf.log");
    assert!(!log.contains("push"), "{log}");
    assert!(!log.contains("apply"), "{log}");
}

#[cfg(unix)]
#[test]
fn declined_apply_keeps_state_local_and_says_so() {
    let sb = setup();
    let r = run(&sb, &[("FAKE_TF_DECLINE", "1")]).code(1);
    assert!(
        r.stderr
            .contains("step 2/5 apply failed: apply declined; nothing changed, rerun to continue"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("fix the cause"), "{}", r.stderr);
    assert!(sb.join("bootstrap/bootstrap_override.tf").exists());
    assert!(!sb.read("tf.log").contains("state"));
}

#[cfg(unix)]
#[test]
fn an_existing_bucket_is_named_as_the_cause() {
    let sb = setup();
    let r = run(&sb, &[("FAKE_TF_FAIL", "owned")]).code(1);
    // Terraform's own error streams through, then tfboot says what it means.
    assert!(
        r.stderr.contains("api error BucketAlreadyOwnedByYou"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("the bucket acme-tfstate exists already and your account owns it"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("tfboot adopt"), "{}", r.stderr);
    assert!(sb.join("bootstrap/bootstrap_override.tf").exists());
}

#[cfg(unix)]
#[test]
fn apply_that_creates_no_bucket_keeps_state_local() {
    let sb = setup();
    let r = run(&sb, &[("FAKE_TF_EMPTY", "1")]).code(1);
    assert!(
        r.stderr.contains("does not hold aws_s3_bucket.state"),
        "{}",
        r.stderr
    );
    assert!(sb.join("bootstrap/bootstrap_override.tf").exists());
    assert!(!sb.read("tf.log").contains("push"));
}

/// The data-loss reproduction, with a stand-in: the bucket holds a newer state than the local
/// copy. The rerun stops, changes neither, and prints both ways out.
#[cfg(unix)]
#[test]
fn rerun_never_overwrites_a_differing_remote_state() {
    let sb = setup();
    run(&sb, &[]).ok();
    let newer = LOCAL_STATE.replace("\"serial\":3", "\"serial\":7").replace(
        "\"bucket\":\"acme-tfstate\"",
        "\"bucket\":\"acme-tfstate\",\"tags\":{\"team\":\"platform\"}",
    );
    sb.write("remote.tfstate", &newer);
    sb.write("bootstrap/terraform.tfstate", LOCAL_STATE);
    std::fs::remove_file(sb.join("tf.log")).unwrap();
    let r = run(&sb, &[]).code(1);
    assert_eq!(
        sb.read("remote.tfstate"),
        newer,
        "the bucket's state is untouched"
    );
    assert_eq!(
        sb.read("bootstrap/terraform.tfstate"),
        LOCAL_STATE,
        "so is the local one"
    );
    for s in [
        "they differ",
        "serial 3, lineage local-1",
        "the bucket's state is newer (same lineage, serial 7 > 3)",
        "mv terraform.tfstate terraform.tfstate.discarded",
        "state push -force keep.tfstate",
    ] {
        assert!(r.stderr.contains(s), "lacks {s:?}:\n{}", r.stderr);
    }
    let log = sb.read("tf.log");
    assert!(!log.contains("push"), "{log}");
    assert!(!log.contains("-reconfigure"), "{log}");
}

/// A local copy identical to the bucket's (the leftover of an earlier migration) is moved aside.
#[cfg(unix)]
#[test]
fn leftover_local_copy_equal_to_the_bucket_is_moved_aside() {
    let sb = setup();
    run(&sb, &[]).ok();
    // Terraform gives a copied state a new lineage and serial: contents decide.
    sb.write(
        "remote.tfstate",
        &LOCAL_STATE.replace(
            "\"serial\":3,\"lineage\":\"local-1\"",
            "\"serial\":1,\"lineage\":\"remote-9\"",
        ),
    );
    sb.write("bootstrap/terraform.tfstate", LOCAL_STATE);
    sb.write("bootstrap/terraform.tfstate.backup", "{}");
    let r = run(&sb, &[]).ok();
    assert!(
        r.stdout.contains("there already, nothing was copied"),
        "{}",
        r.stdout
    );
    assert!(!sb.join("bootstrap/terraform.tfstate").exists());
    assert!(!sb.join("bootstrap/terraform.tfstate.backup").exists());
    assert!(
        r.stdout.contains("terraform.tfstate.backup.migrated-"),
        "{}",
        r.stdout
    );
}

#[cfg(unix)]
#[test]
fn no_state_anywhere_is_a_clear_stop() {
    let sb = setup();
    run(&sb, &[]).ok();
    std::fs::remove_file(sb.join("remote.tfstate")).unwrap();
    let r = run(&sb, &[]).code(1);
    assert!(
        r.stderr.contains("there is no state to move"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("restore bootstrap_override.tf"),
        "{}",
        r.stderr
    );
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
