//! `tfboot iam-policy` without a store: which states it names, what it refuses, and the output
//! parsed back. tests/e2e/iam.sh lints the policies with parliament and enforces one with moto.

use crate::support::{Sandbox, KMS_ARN};

const TWO_ENVS: &str = "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\nlock = \"both\"\n\n[[env]]\nname = \"dev\"\n\n[[env]]\nname = \"prod\"\nworkspace_key_prefix = \"workspaces\"\n";

fn statements(policy: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    policy["Statement"]
        .as_array()
        .expect("Statement list")
        .iter()
        .map(|s| (s["Sid"].as_str().unwrap().to_string(), s.clone()))
        .collect()
}

#[test]
fn one_env_policy_covers_state_lockfile_table_and_key_of_that_env_only() {
    let sb = Sandbox::new();
    sb.write("tfboot.toml", TWO_ENVS);
    let run = sb.run(&["iam-policy", "--env", "prod"]).ok();
    let policy: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON policy");
    assert_eq!(policy["Version"], "2012-10-17");
    let text = run.stdout.clone();
    assert!(
        !text.contains("envs/dev"),
        "dev's state in prod's policy:\n{text}"
    );
    let st = statements(&policy);
    let sids: Vec<&str> = st.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        sids,
        [
            "ListWorkspaces",
            "ReadWriteState",
            "DeleteWorkspaceState",
            "StateLockfile",
            "DescribeLockTable",
            "LockAndDigestItems",
            "StateKey"
        ]
    );
    let list = &st[0].1;
    assert_eq!(
        list["Condition"]["StringEquals"]["s3:prefix"],
        serde_json::json!(["workspaces/", "envs/prod/terraform.tfstate"])
    );
    assert_eq!(
        st[1].1["Resource"],
        serde_json::json!([
            "arn:aws:s3:::acme-tfstate/envs/prod/terraform.tfstate",
            "arn:aws:s3:::acme-tfstate/workspaces/*/envs/prod/terraform.tfstate"
        ])
    );
    assert_eq!(
        st[5].1["Resource"],
        serde_json::json!(["arn:aws:dynamodb:eu-west-1:*:table/acme-tfstate-lock"])
    );
    // The field order IAM's console shows.
    assert!(text.find("\"Version\"").unwrap() < text.find("\"Statement\"").unwrap());
    assert!(text.find("\"Sid\"").unwrap() < text.find("\"Effect\"").unwrap());
    assert!(run.stderr.contains("s3:DeleteObject"), "{}", run.stderr);
}

#[test]
fn all_gives_one_policy_per_env_and_discovered_root() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        &format!("{TWO_ENVS}\n[discover]\nroots = [\"live/**\"]\n"),
    );
    sb.write("live/net/main.tf", "resource \"terraform_data\" \"x\" {}\n");
    let run = sb.run(&["iam-policy", "--all"]).ok();
    let all: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let names: Vec<&String> = all.as_object().unwrap().keys().collect();
    assert_eq!(names, ["dev", "live/net", "prod"]);
    assert!(all["live/net"]
        .to_string()
        .contains("live/net/terraform.tfstate"));
    let run = sb
        .run(&["iam-policy", "--env", "live/net", "--format", "hcl"])
        .ok();
    hcl::parse(&run.stdout).expect("HCL parses");
    assert_eq!(tfboot::hclfmt::format(&run.stdout).unwrap(), run.stdout);
    assert!(run
        .stdout
        .contains("data \"aws_iam_policy_document\" \"tfboot_state_live_net\""));
    assert!(run
        .stdout
        .contains("resources = [data.aws_kms_alias.tfboot_state.target_key_arn]"));
    crate::support::assert_terraform_fmt_clean_text(&run.stdout);
}

#[test]
fn kms_key_arn_names_the_created_key() {
    let sb = Sandbox::new();
    sb.write("tfboot.toml", TWO_ENVS);
    let run = sb
        .run(&["iam-policy", "--env", "dev", "--kms-key-arn", KMS_ARN])
        .ok();
    assert!(run.stdout.contains(KMS_ARN));
    assert!(!run.stdout.contains("kms:ResourceAliases"));
    let run = sb
        .run(&[
            "iam-policy",
            "--env",
            "dev",
            "--kms-key-arn",
            KMS_ARN,
            "--format",
            "hcl",
        ])
        .ok();
    assert!(!run.stdout.contains("aws_kms_alias"), "{}", run.stdout);
    sb.run(&[
        "iam-policy",
        "--env",
        "dev",
        "--kms-key-arn",
        "arn:aws:kms:eu-west-1:111122223333:alias/state",
    ])
    .code(2)
    .stderr_has("--kms-key-arn")
    .stderr_has("not an alias");
    sb.write(
        "tfboot.toml",
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\nencryption = \"aes256\"\n\n[[env]]\nname = \"dev\"\n",
    );
    sb.run(&["iam-policy", "--kms-key-arn", KMS_ARN])
        .code(2)
        .stderr_has("only for a store whose bootstrap module creates its KMS key");
    // One env: no --env needed; aes256 and a table only: no KMS, no lockfile.
    let run = sb.run(&["iam-policy"]).ok();
    assert!(!run.stdout.contains("kms:"));
    assert!(!run.stdout.contains(".tflock"));
}

#[test]
fn refusals_name_the_choices() {
    let sb = Sandbox::new();
    sb.write("tfboot.toml", TWO_ENVS);
    sb.run(&["iam-policy"])
        .code(2)
        .stderr_has("has 2 states: name one with --env (dev, prod), or --all");
    sb.run(&["iam-policy", "--env", "staging"])
        .code(2)
        .stderr_has("--env \"staging\": tfboot.toml has no such environment or discovered root (it has: dev, prod)");
    sb.run(&["iam-policy", "--env", "dev", "--all"]).code(2);
    sb.write(
        "tfboot.toml",
        "[state]\nbackend = \"gcs\"\nbucket = \"acme-tfstate\"\nproject = \"acme-infra\"\nlocation = \"EU\"\n\n[[env]]\nname = \"dev\"\n",
    );
    let run = sb.run(&["iam-policy"]).ok();
    hcl::parse(&run.stdout).expect("gcs policy parses");
    assert_eq!(tfboot::hclfmt::format(&run.stdout).unwrap(), run.stdout);
    assert!(run.stdout.contains(r#"expression  = "resource.name.startsWith(\"projects/_/buckets/acme-tfstate/objects/envs/dev/\")""#), "{}", run.stdout);
    crate::support::assert_terraform_fmt_clean_text(&run.stdout);
    sb.run(&["iam-policy", "--format", "json"])
        .code(2)
        .stderr_has("use --format hcl");
    sb.write(
        "tfboot.toml",
        "[state]\nbackend = \"azurerm\"\nstorage_account = \"acmetfstate\"\nlocation = \"westeurope\"\n\n[[env]]\nname = \"dev\"\n",
    );
    let run = sb.run(&["iam-policy"]).ok();
    hcl::parse(&run.stdout).expect("azurerm policy parses");
    assert!(
        run.stdout
            .contains("/blobServices/default/containers/tfstate\""),
        "{}",
        run.stdout
    );
    crate::support::assert_terraform_fmt_clean_text(&run.stdout);
    sb.write(
        "tfboot.toml",
        "[state]\nbackend = \"consul\"\naddress = \"consul.internal:8501\"\npath_prefix = \"tfstate\"\n\n[[env]]\nname = \"dev\"\n",
    );
    sb.run(&["iam-policy"])
        .code(2)
        .stderr_has("consul has its own ACLs");
}

#[test]
fn emit_aws_cli_prints_a_script_and_writes_nothing() {
    let sb = Sandbox::new();
    let run = sb
        .run(&[
            "bootstrap",
            "--bucket",
            "acme-tfstate",
            "--region",
            "us-east-1",
            "--lock",
            "s3",
            "--kms-key-arn",
            "arn:aws:kms:us-east-1:111122223333:key/0b6b2b5e-4d4f-4c8e-9a7d-3f2e1d0c9b8a",
            "--tag",
            "cost center=a b",
            "--emit",
            "aws-cli",
        ])
        .ok();
    sb.assert_empty();
    let script = run.stdout;
    assert!(script.starts_with("#!/usr/bin/env bash\n"));
    assert!(script.contains(
        "KMS_KEY_ARN=arn:aws:kms:us-east-1:111122223333:key/0b6b2b5e-4d4f-4c8e-9a7d-3f2e1d0c9b8a\n"
    ));
    assert!(
        !script.contains("create-key"),
        "an existing key is not created"
    );
    assert!(!script.contains("dynamodb"), "lock = s3 has no table");
    assert!(script.contains(r#"--tagging '{"TagSet":[{"Key":"cost center","Value":"a b"}]}'"#));
    assert!(script.contains("say '  use_lockfile = true'"), "{script}");
    let check = std::process::Command::new("bash")
        .args(["-n", "-c", &script])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    sb.run(&[
        "bootstrap",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
        "--emit",
        "aws-cli",
        "--apply",
    ])
    .code(2);
    sb.run(&[
        "bootstrap",
        "--backend",
        "gcs",
        "--bucket",
        "acme-tfstate",
        "--project",
        "acme-infra",
        "--location",
        "EU",
        "--emit",
        "aws-cli",
    ])
    .code(2)
    .stderr_has("--emit aws-cli builds s3 stores; this one is gcs");
    sb.assert_empty();
    // What tfboot.toml leaves to the bucket, the script leaves alone too.
    sb.write(
        "tfboot.toml",
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\nunmanaged = [\"bucket_policy\", \"lifecycle\"]\n",
    );
    let script = sb.run(&["bootstrap", "--emit", "aws-cli"]).ok().stdout;
    assert!(!script.contains("put-bucket-policy"), "{script}");
    assert!(
        !script.contains("put-bucket-lifecycle-configuration"),
        "{script}"
    );
    assert!(script.contains("the bucket policy is the bucket's own (state.unmanaged): not touched"));
}

#[test]
fn adopt_checks_its_input_before_reading_the_store() {
    let sb = Sandbox::new();
    sb.run(&["adopt", "--bucket", "Bad_Bucket", "--region", "eu-west-1"])
        .code(2)
        .stderr_has("--bucket = \"Bad_Bucket\"");
    sb.run(&["adopt", "--bucket", "acme-tfstate", "--region", "mars-1"])
        .code(2)
        .stderr_has("--region = \"mars-1\"");
    sb.run(&[
        "adopt",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
        "--lock-table",
        "a b",
    ])
    .code(2)
    .stderr_has("--lock-table");
    sb.run(&["adopt"]).code(2).stderr_has("tfboot.toml");
    sb.write(
        "tfboot.toml",
        "[state]\nbackend = \"consul\"\naddress = \"consul.internal:8501\"\npath_prefix = \"tfstate\"\n",
    );
    sb.run(&["adopt"])
        .code(2)
        .stderr_has("adopt takes over s3, gcs and azurerm stores");
    // A store that cannot be reached: exit 2, nothing written.
    sb.write(
        "tfboot.toml",
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\n",
    );
    sb.run_env(
        &["adopt"],
        &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ACCESS_KEY_ID", "x"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
    )
    .code(2)
    .stderr_has("cannot reach s3://acme-tfstate");
    assert_eq!(
        sb.files("").into_iter().map(|(n, _)| n).collect::<Vec<_>>(),
        ["tfboot.toml"]
    );
}

#[test]
fn migrate_lock_refuses_out_of_order_phases_and_old_terraform_offline() {
    let sb = Sandbox::new();
    let toml =
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\n\n[[env]]\nname = \"dev\"\n";
    sb.write("tfboot.toml", toml);
    sb.run(&["migrate-lock", "--phase", "s3"])
        .code(2)
        .stderr_has("run --phase both first");
    sb.run(&["generate", "-q"]).ok();
    sb.write(
        "envs/dev/versions.tf",
        "terraform {\n  required_version = \">= 1.5, < 1.10\"\n}\n",
    );
    sb.run(&["migrate-lock", "--phase", "both"])
        .code(2)
        .stderr_has("envs/dev (env dev): required_version >= 1.5, < 1.10 and >= 1.10.0 admits no Terraform >= 1.10");
    assert_eq!(
        sb.read("tfboot.toml"),
        toml,
        "a refused migration changes nothing"
    );
    sb.write(
        "tfboot.toml",
        &toml.replace("region", "lock = \"s3\"\nregion"),
    );
    sb.run(&["migrate-lock", "--phase", "both"])
        .code(2)
        .stderr_has("lock = \"s3\" already");
}
