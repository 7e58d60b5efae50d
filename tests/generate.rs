//! `tfboot init` + `tfboot generate` (+ `--check`, `--diff`).

use crate::support::Sandbox;

#[test]
fn init_then_generate() {
    let sb = Sandbox::new();
    sb.run(&[
        "init",
        "--name",
        "acme",
        "--region",
        "eu-west-1",
        "--env",
        "dev",
        "--env",
        "prod",
    ])
    .ok()
    .stdout_has("wrote tfboot.toml");
    let cfg = sb.read("tfboot.toml");
    assert!(cfg.contains("bucket     = \"acme-tfstate\""), "{cfg}");
    assert!(cfg.contains("name = \"prod\""));
    sb.run(&["init", "--name", "other", "--region", "eu-west-1"])
        .code(1)
        .stderr_has("--force");
    assert_eq!(sb.read("tfboot.toml"), cfg, "not overwritten");

    sb.run(&["generate"]).ok().stdout_has("11 created");
    assert!(sb
        .read("envs/dev/backend.tf")
        .contains("key            = \"envs/dev/terraform.tfstate\""));
    assert!(sb
        .read("envs/prod/backend.tf")
        .contains("key            = \"envs/prod/terraform.tfstate\""));
    assert!(sb
        .read("bootstrap/backend.tf")
        .contains("bucket         = \"acme-tfstate\""));
    sb.run(&["generate"]).ok().stdout_has("(nothing to do)");
}

#[test]
fn init_validates_its_flags() {
    let sb = Sandbox::new();
    sb.run(&["init", "--name", "ACME!", "--region", "eu-west-1"])
        .code(2)
        .stderr_has("--name");
    sb.run_env(
        &["init", "--name", "acme"],
        &[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "")],
    )
    .code(2)
    .stderr_has("--region is required");
    sb.assert_empty();
}

#[test]
fn check_reports_drift_without_writing() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\nlock = \"s3\"\nbootstrap_dir = \"infra/bootstrap\"\n",
    );
    let run = sb.run(&["generate", "--check"]).code(1);
    assert!(
        run.stdout.contains("missing: infra/bootstrap/backend.tf"),
        "{}",
        run.stdout
    );
    assert!(!sb.join("infra").exists());
    sb.run(&["generate"]).ok();
    sb.run(&["generate", "--check"])
        .ok()
        .stdout_has("up to date");

    let s3 = sb.read("infra/bootstrap/s3.tf");
    sb.write("infra/bootstrap/s3.tf", &s3.replace("= 7", "= 3"));
    sb.run(&["generate", "--check"])
        .code(1)
        .stdout_has("hand-edited: infra/bootstrap/s3.tf");
    sb.write("infra/bootstrap/s3.tf", &s3);

    sb.write(
        "tfboot.toml",
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\nlock = \"both\"\nbootstrap_dir = \"infra/bootstrap\"\n",
    );
    let run = sb.run(&["generate", "--check", "--diff"]).code(1);
    assert!(
        run.stdout.contains("outdated: infra/bootstrap/backend.tf"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("+++ b/infra/bootstrap/backend.tf"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("+    dynamodb_table = \"acme-tfstate-lock\""),
        "{}",
        run.stdout
    );
    assert!(
        !sb.read("infra/bootstrap/backend.tf")
            .contains("dynamodb_table"),
        "--check wrote"
    );
}

#[test]
fn paths_in_config_are_relative_to_the_config_file() {
    let sb = Sandbox::new();
    sb.write(
        "repo/tfboot.toml",
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\n",
    );
    sb.run(&["generate", "--config", "repo/tfboot.toml"]).ok();
    assert!(sb.join("repo/bootstrap/backend.tf").exists());
}
