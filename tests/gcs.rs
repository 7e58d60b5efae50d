//! The gcs backend end to end through the CLI: the bootstrap module per encryption mode, env
//! backends per layout, discovery, collisions, config errors, and `--apply`'s steps against a
//! stand-in terraform.

use crate::support::{assert_fmt_clean, fake_terraform, snapshot_of, Sandbox};

const STATE: &str = "[state]\nbackend = \"gcs\"\nbucket = \"acme-tfstate\"\nproject = \"acme-infra\"\nlocation = \"EU\"\n";
const KEY: &str = "projects/acme-security/locations/europe/keyRings/state/cryptoKeys/state";

#[test]
fn bootstrap_module_per_encryption_mode() {
    let modes: &[(&str, &[&str])] = &[
        ("kms", &[]),
        ("google", &["--encryption", "google"]),
        ("existing_key", &["--kms-key", KEY]),
        (
            "region",
            &["--location", "europe-west1", "--label", "team=platform"],
        ),
    ];
    for (name, extra) in modes {
        let sb = Sandbox::new();
        let mut args = vec![
            "bootstrap",
            "--backend",
            "gcs",
            "--bucket",
            "acme-tfstate",
            "--project",
            "acme-infra",
        ];
        if !extra.contains(&"--location") {
            args.extend(["--location", "EU"]);
        }
        args.extend(extra.iter().copied());
        sb.run(&args).ok();
        assert_fmt_clean(&sb, "bootstrap");
        let all = snapshot_of(&sb, "bootstrap");
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("gcs_bootstrap_{name}"), all);
        });
    }
}

#[test]
fn the_module_follows_the_encryption_mode() {
    let sb = Sandbox::new();
    let base = [
        "bootstrap",
        "--backend",
        "gcs",
        "--bucket",
        "acme-tfstate",
        "--project",
        "acme-infra",
        "--location",
        "europe-west1",
    ];
    sb.run(&base).ok();
    let kms = sb.read("bootstrap/kms.tf");
    assert!(kms.contains("location = \"europe-west1\""), "{kms}");
    assert!(kms.contains("roles/cloudkms.cryptoKeyEncrypterDecrypter"));
    let storage = sb.read("bootstrap/storage.tf");
    assert!(storage.contains("default_kms_key_name = google_kms_crypto_key.state.id"));
    assert!(storage.contains("depends_on = [google_kms_crypto_key_iam_member.storage_agent]"));
    assert!(sb
        .read("bootstrap/versions.tf")
        .contains("region  = \"europe-west1\""));
    // Google-managed keys: no key file, and the old one is reported stale.
    let mut google = base.to_vec();
    google.extend(["--encryption", "google"]);
    let r = sb.run(&google).ok();
    assert!(r.stdout.contains("stale:"), "{}", r.stdout);
    assert!(r.stdout.contains("Cloud KMS key"), "{}", r.stdout);
    assert!(!sb.read("bootstrap/storage.tf").contains("encryption {"));
    google.push("--prune");
    sb.run(&google).ok();
    assert!(!sb.join("bootstrap/kms.tf").exists());
}

fn env_config(layout: &str) -> String {
    format!(
        "layout = \"{layout}\"\n{STATE}\n[[env]]\nname = \"dev\"\n\n[[env]]\nname = \"prod\"\nprefix = \"production/\"\n\n[[env]]\nname = \"qa\"\ndir = \"app\"\n\n[[env]]\nname = \"perf\"\ndir = \"app\"\n"
    )
}

#[test]
fn env_backends_per_layout() {
    for layout in ["dir", "tfbackend"] {
        let sb = Sandbox::new();
        let mut cfg = env_config(layout);
        if layout == "dir" {
            // With layout = "dir" each env needs its own directory.
            cfg = cfg.replace(
                "dir = \"app\"\n\n[[env]]\nname = \"perf\"\ndir = \"app\"",
                "dir = \"app/qa\"\n\n[[env]]\nname = \"perf\"\ndir = \"app/perf\"",
            );
        }
        sb.write("tfboot.toml", &cfg);
        sb.run(&["generate"]).ok();
        let mut all = snapshot_of(&sb, "envs");
        all.push_str(&snapshot_of(&sb, "app"));
        assert_fmt_clean(&sb, "envs");
        assert_fmt_clean(&sb, "app");
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("gcs_env_backends_{layout}"), all);
        });
        sb.run(&["generate", "--check"]).ok();
    }
    let sb = Sandbox::new();
    sb.write("tfboot.toml", &env_config("tfbackend"));
    sb.run(&["generate"]).ok();
    let names: Vec<String> = sb.files("app").into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["backend.tf", "perf.gcs.tfbackend", "qa.gcs.tfbackend"]
    );
    assert!(sb.read("app/backend.tf").contains("backend \"gcs\" {}"));
    assert!(sb
        .read("app/qa.gcs.tfbackend")
        .contains("prefix = \"app/qa\""));
}

#[test]
fn discovered_roots_get_a_prefix_each() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        &format!("{STATE}\n[discover]\nroots = [\"live/**\"]\n"),
    );
    sb.write("live/net/main.tf", "resource \"terraform_data\" \"x\" {}\n");
    sb.write("live/dns/main.tf", "resource \"terraform_data\" \"x\" {}\n");
    sb.run(&["generate"]).ok();
    let net = sb.read("live/net/backend.tf");
    assert!(net.contains("prefix = \"live/net\""), "{net}");
    assert!(
        net.contains("gs://acme-tfstate/live/net/default.tfstate"),
        "{net}"
    );
}

#[test]
fn prefixes_that_name_one_folder_collide() {
    let sb = Sandbox::new();
    // Terraform trims a leading / and adds a trailing one: all three are one state.
    sb.write(
        "tfboot.toml",
        &format!("{STATE}\n[[env]]\nname = \"a\"\nprefix = \"shared\"\n\n[[env]]\nname = \"b\"\nprefix = \"shared/\"\n\n[[env]]\nname = \"c\"\nprefix = \"/shared\"\n\n[[env]]\nname = \"d\"\nprefix = \"bootstrap\"\n"),
    );
    let r = sb.run(&["generate"]).code(2);
    assert_eq!(
        r.stderr
            .matches(
                "state address gs://acme-tfstate/shared/default.tfstate is also used by env \"a\""
            )
            .count(),
        2,
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("tfboot.toml:21: env[3].prefix = \"bootstrap\": state address gs://acme-tfstate/bootstrap/default.tfstate is also used by the bootstrap module"), "{}", r.stderr);
    assert!(!sb.join("bootstrap").exists());
    // A nested prefix is another folder: Terraform lists a prefix's workspaces one level deep.
    sb.write(
        "tfboot.toml",
        &format!("{STATE}\n[[env]]\nname = \"a\"\nprefix = \"shared\"\n\n[[env]]\nname = \"b\"\nprefix = \"shared/b\"\n"),
    );
    sb.run(&["generate"]).ok();
}

#[test]
fn fields_of_another_backend_are_named_as_such() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        &format!("{STATE}region = \"eu-west-1\"\ntags = {{ team = \"x\" }}\nlock = \"s3\"\n\n[[env]]\nname = \"dev\"\nkey = \"dev/terraform.tfstate\"\n"),
    );
    sb.run(&["generate"]).code(2).stderr_has_all(&[
        "line 6: unknown field `region` in [state]; a Cloud Storage bucket has a location, not a region: use state.location",
        "line 7: unknown field `tags` in [state]; Cloud Storage buckets have labels, not tags: use state.labels",
        "line 8: unknown field `lock` in [state]; the gcs backend always locks each state with a .tflock object",
        "line 12: unknown field `key` in [[env]]; the gcs backend has no key",
    ]);
    sb.write(
        "tfboot.toml",
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\nproject = \"acme-infra\"\nlabels = { a = \"b\" }\n",
    );
    sb.run(&["generate"]).code(2).stderr_has_all(&[
        "line 4: unknown field `project` in [state]; `project` is a setting of the gcs and cloud backends, and this file's state.backend is \"s3\" (the default when unset)",
        "line 5: unknown field `labels` in [state]; S3 resources have tags, not labels",
    ]);
    sb.write(
        "tfboot.toml",
        "[state]\nbackend = \"consul\"\nbucket = \"x\"\n",
    );
    sb.run(&["generate"])
        .code(2)
        .stderr_has("line 3: unknown field `bucket` in [state]; the consul backend keeps state in Consul's KV store, not a bucket: set state.address (host:port) and state.path_prefix");
    sb.write(
        "tfboot.toml",
        "[state]\nbackend = \"GCS\"\nbucket = \"x\"\n",
    );
    sb.run(&["generate"])
        .code(2)
        .stderr_has("did you mean \"gcs\"?");
    sb.write(
        "tfboot.toml",
        "[state]\nbackend = \"gcs\"\nbucket = \"acme-tfstate\"\nproject = \"acme-infra\"\n",
    );
    sb.run(&["generate"]).code(2).stderr_has("location");
    assert!(!sb.join("bootstrap").exists());
}

#[test]
fn every_value_is_validated_before_anything_is_written() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        "[state]\nbackend = \"gcs\"\nbucket = \"my-google-state\"\nproject = \"Acme\"\nlocation = \"europe-west99\"\nlabels = { Team = \"Platform\" }\n\n[[env]]\nname = \"dev\"\nprefix = \"a//b\"\n",
    );
    sb.run(&["generate"]).code(2).stderr_has_all(&[
        "tfboot.toml:3: state.bucket = \"my-google-state\": Cloud Storage bucket names must not contain \"google\"",
        "tfboot.toml:4: state.project = \"Acme\": Google Cloud project IDs are 6 to 30 characters long",
        "tfboot.toml:5: state.location = \"europe-west99\": not a Cloud Storage bucket location; did you mean \"europe-west9\"?",
        "state.labels key = \"Team\": label keys start with a lowercase letter",
        "state.labels.Team = \"Platform\": label values use only lowercase letters",
        "tfboot.toml:10: env[0].prefix = \"a//b\": a prefix must not contain '//'",
    ]);
    sb.write(
        "tfboot.toml",
        &format!(
            "{STATE}kms_key = \"projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k\"\n"
        ),
    );
    sb.run(&["generate"]).code(2).stderr_has(
        "state.kms_key = \"projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k\": the key is in europe-west1, but a bucket in EU can only use a key in europe",
    );
    sb.write(
        "tfboot.toml",
        &format!("{STATE}encryption = \"google\"\nkms_key = \"{KEY}\"\n"),
    );
    sb.run(&["generate"])
        .code(2)
        .stderr_has("a KMS key needs encryption = kms, but state.encryption is google");
    assert_eq!(
        sb.files(".")
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>(),
        ["tfboot.toml"]
    );
}

#[test]
fn init_writes_a_gcs_config_generate_accepts() {
    let sb = Sandbox::new();
    sb.run(&[
        "init",
        "--backend",
        "gcs",
        "--name",
        "acme",
        "--project",
        "acme-infra",
        "--location",
        "EU",
        "--env",
        "dev",
        "--env",
        "prod",
    ])
    .ok();
    let cfg = sb.read("tfboot.toml");
    assert!(cfg.contains("backend    = \"gcs\""), "{cfg}");
    sb.run(&["generate"]).ok();
    assert!(sb
        .read("envs/prod/backend.tf")
        .contains("prefix = \"envs/prod\""));
    let sb = Sandbox::new();
    sb.run(&[
        "init",
        "--backend",
        "gcs",
        "--name",
        "acme",
        "--project",
        "acme-infra",
        "--location",
        "EU",
        "--region",
        "eu-west-1",
    ])
    .code(2)
    .stderr_has("--region do not apply to the gcs backend");
    sb.run_env(
        &[
            "init",
            "--backend",
            "gcs",
            "--name",
            "acme",
            "--location",
            "EU",
        ],
        &[("GOOGLE_CLOUD_PROJECT", ""), ("CLOUDSDK_CORE_PROJECT", "")],
    )
    .code(2)
    .stderr_has("--project is required with --backend gcs");
    sb.assert_empty();
}

#[test]
fn bootstrap_flags_belong_to_their_backend() {
    let sb = Sandbox::new();
    sb.run(&[
        "bootstrap",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
        "--project",
        "acme-infra",
    ])
    .code(2)
    .stderr_has("--project (a gcs/cloud flag) do not apply to the s3 backend");
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
        "--lock",
        "s3",
        "--encryption",
        "aes256",
    ])
    .code(2)
    .stderr_has_all(&["--lock (a s3 flag)", "--encryption aes256 (a s3 flag)"]);
    sb.run(&[
        "bootstrap",
        "--backend",
        "gcs",
        "--bucket",
        "acme-tfstate",
        "--project",
        "acme-infra",
    ])
    .code(2)
    .stderr_has("--location is required with --backend gcs");
    sb.assert_empty();
    // Flags that describe the module a gcs tfboot.toml describes must agree with it.
    sb.write("tfboot.toml", STATE);
    sb.run(&[
        "bootstrap",
        "--backend",
        "gcs",
        "--bucket",
        "acme-tfstate",
        "--project",
        "acme-infra",
        "--location",
        "US",
    ])
    .code(2)
    .stderr_has("--location US but state.location = \"EU\" (line 5) in tfboot.toml");
    sb.run(&[
        "bootstrap",
        "--backend",
        "s3",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
    ])
    .code(2)
    .stderr_has("--backend s3 but tfboot.toml uses the gcs backend");
    sb.run(&["bootstrap"]).ok();
    assert!(sb.join("bootstrap/storage.tf").exists());
}

#[test]
fn reinit_says_migrate_state_when_the_prefix_moves() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        &format!("{STATE}\n[[env]]\nname = \"dev\"\n"),
    );
    sb.run(&["generate"]).ok();
    std::fs::create_dir_all(sb.join("envs/dev/.terraform")).unwrap();
    sb.write("envs/dev/.terraform/terraform.tfstate", "{}");
    sb.write(
        "tfboot.toml",
        &format!("{STATE}\n[[env]]\nname = \"dev\"\nprefix = \"dev\"\n"),
    );
    let r = sb.run(&["generate", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let reinit = &v["reinit"][0];
    assert_eq!(reinit["dir"], "envs/dev", "{v}");
    assert_eq!(reinit["mode"], "migrate-state", "{v}");
    assert_eq!(reinit["changed"], serde_json::json!(["prefix"]), "{v}");
}

const FAKE_TF: &str = r#"#!/bin/sh
here="$(basename "$PWD")"
case "$here" in tfboot-state-probe-*) here=probe ;; esac
echo "$here: $*" >> "$FAKE_TF_LOG"
case "$1" in
  apply) printf '%s' "$LOCAL_STATE" > terraform.tfstate ;;
  state)
    case "$2" in
      list) echo "$FAKE_TF_LISTED" ;;
      pull) [ -f "$FAKE_TF_REMOTE" ] && cat "$FAKE_TF_REMOTE" ;;
      push) for a; do f="$a"; done; cp "$f" "$FAKE_TF_REMOTE" ;;
    esac ;;
esac
exit 0
"#;

const LOCAL_STATE: &str = r#"{"version":4,"serial":3,"lineage":"local-1","resources":[{"mode":"managed","type":"google_storage_bucket","name":"state","instances":[{"attributes":{"name":"acme-tfstate"}}]}]}"#;

#[cfg(unix)]
#[test]
fn apply_checks_the_gcs_bucket_before_switching_and_moves_the_state() {
    let sb = Sandbox::new();
    let fake = fake_terraform(&sb, "fake-terraform", FAKE_TF);
    sb.write("emulator.gcs.tfbackend", "access_token = \"dummy\"\n");
    let log = sb.join("tf.log").to_string_lossy().into_owned();
    let remote = sb.join("remote.tfstate").to_string_lossy().into_owned();
    let args = [
        "bootstrap",
        "--backend",
        "gcs",
        "--bucket",
        "acme-tfstate",
        "--project",
        "acme-infra",
        "--location",
        "EU",
        "--apply",
        "--auto-approve",
        "--backend-config",
        "emulator.gcs.tfbackend",
        "--terraform",
        &fake,
    ];
    // An apply that left no bucket in the state: the module stays local.
    let r = sb
        .run_env(
            &args,
            &[
                ("FAKE_TF_LOG", &log),
                ("FAKE_TF_REMOTE", &remote),
                ("LOCAL_STATE", LOCAL_STATE),
                ("FAKE_TF_LISTED", "aws_s3_bucket.state"),
            ],
        )
        .code(1);
    assert!(
        r.stderr
            .contains("the local state does not hold google_storage_bucket.state"),
        "{}",
        r.stderr
    );
    assert!(sb.join("bootstrap/bootstrap_override.tf").exists());
    // The gcs backend writes a blank state when it first reads an empty prefix (the probe's own
    // `init` does): it holds nothing, so the local state replaces it.
    const BLANK: &str = r#"{"version":4,"terraform_version":"1.11.4","serial":1,"lineage":"blank-1","outputs":{},"resources":[],"check_results":null}"#;
    sb.write("remote.tfstate", BLANK);
    // With the bucket in the state: override gone, state copied into the empty prefix.
    let r = sb
        .run_env(
            &args,
            &[
                ("FAKE_TF_LOG", &log),
                ("FAKE_TF_REMOTE", &remote),
                ("LOCAL_STATE", LOCAL_STATE),
                ("FAKE_TF_LISTED", "google_storage_bucket.state"),
            ],
        )
        .ok();
    assert!(r.stdout.contains("bootstrapped: the state of bootstrap is at gs://acme-tfstate/bootstrap/default.tfstate (EU), locked by a .tflock object beside each state"), "{}", r.stdout);
    assert!(
        r.stderr.contains("backend.tf now selects the GCS backend"),
        "{}",
        r.stderr
    );
    assert!(!sb.join("bootstrap/bootstrap_override.tf").exists());
    assert_eq!(sb.read("remote.tfstate"), LOCAL_STATE);
    let log_text = sb.read("tf.log");
    assert!(
        log_text.contains("probe: state push -lock-timeout=120s -force "),
        "{log_text}"
    );
    assert!(r.stderr.contains("only a blank one"), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn a_bucket_state_with_outputs_is_not_blank_and_is_never_replaced() {
    let sb = Sandbox::new();
    let fake = fake_terraform(&sb, "fake-terraform", FAKE_TF);
    let log = sb.join("tf.log").to_string_lossy().into_owned();
    let remote = sb.join("remote.tfstate").to_string_lossy().into_owned();
    let kept = r#"{"version":4,"serial":7,"lineage":"other","outputs":{"x":{"value":"1","type":"string"}},"resources":[]}"#;
    sb.write("remote.tfstate", kept);
    let args = [
        "bootstrap",
        "--backend",
        "gcs",
        "--bucket",
        "acme-tfstate",
        "--project",
        "acme-infra",
        "--location",
        "EU",
        "--apply",
        "--auto-approve",
        "--terraform",
        &fake,
    ];
    let r = sb
        .run_env(
            &args,
            &[
                ("FAKE_TF_LOG", &log),
                ("FAKE_TF_REMOTE", &remote),
                ("LOCAL_STATE", LOCAL_STATE),
                ("FAKE_TF_LISTED", "google_storage_bucket.state"),
            ],
        )
        .code(1);
    assert!(
        r.stderr
            .contains("both a local state and a state in the bucket exist"),
        "{}",
        r.stderr
    );
    assert_eq!(sb.read("remote.tfstate"), kept);
    assert!(!sb.read("tf.log").contains("state push"));
}

#[test]
fn hostile_values_reach_the_files_escaped_and_read_back_exactly() {
    let sb = Sandbox::new();
    let prefix = "a/${x}/%{y}/\"q\"/back\\slash/ünï";
    let toml_prefix = prefix.replace('\\', "\\\\").replace('"', "\\\"");
    sb.write(
        "tfboot.toml",
        &format!("{STATE}bootstrap_prefix = \"{toml_prefix}/boot\"\n\n[[env]]\nname = \"dev\"\nprefix = \"{toml_prefix}\"\n"),
    );
    sb.run(&["generate"]).ok();
    let read_prefix = |file: &str| -> String {
        let body: hcl::Body = hcl::from_str(&sb.read(file)).unwrap();
        let tf = body
            .blocks()
            .find(|b| b.identifier() == "terraform")
            .unwrap();
        let backend = tf
            .body()
            .blocks()
            .find(|b| b.identifier() == "backend")
            .unwrap();
        let attr = backend
            .body()
            .attributes()
            .find(|a| a.key() == "prefix")
            .unwrap();
        match attr.expr() {
            hcl::Expression::String(s) => s.clone(),
            other => panic!("not a literal string: {other:?}"),
        }
    };
    assert_eq!(read_prefix("envs/dev/backend.tf"), prefix);
    assert_eq!(
        read_prefix("bootstrap/backend.tf"),
        format!("{prefix}/boot")
    );
    assert_fmt_clean(&sb, "envs");
    assert_fmt_clean(&sb, "bootstrap");
}

#[test]
fn check_finds_nothing_in_what_generate_wrote() {
    for layout in ["dir", "tfbackend"] {
        let sb = Sandbox::new();
        let mut cfg = env_config(layout);
        if layout == "dir" {
            cfg = cfg.replace(
                "dir = \"app\"\n\n[[env]]\nname = \"perf\"\ndir = \"app\"",
                "dir = \"app/qa\"\n\n[[env]]\nname = \"perf\"\ndir = \"app/perf\"",
            );
        }
        sb.write("tfboot.toml", &cfg);
        for d in ["envs/dev", "envs/prod", "app/qa", "app/perf", "app"] {
            sb.write(
                &format!("{d}/main.tf"),
                "resource \"terraform_data\" \"x\" {}\n",
            );
        }
        sb.run(&["generate"]).ok();
        // The bootstrap module has no .terraform.lock.hcl until `terraform init` runs (the google
        // provider is not available here); every other rule must stay quiet.
        let r = sb.run(&[
            "check",
            "--deny-warnings",
            "--ignore",
            "missing-dependency-lock",
        ]);
        assert_eq!(r.code, 0, "{layout}:\n{}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("0 error(s), 0 warning(s)"),
            "{layout}:\n{}",
            r.stdout
        );
    }
}
