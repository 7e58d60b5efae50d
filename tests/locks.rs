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
        .stderr_has("no state tfboot can read in tfboot.toml")
        .stderr_has(
            "state.backend = \"cloud\": tfboot reads the locks of s3, gcs and azurerm stores in this version",
        );
    sb.run(&["locks", "unlock", "envs/dev", "--id", "x"])
        .code(2)
        .stderr_has("reads the locks of s3, gcs and azurerm stores");
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
        .stderr_has("elsewhere: neither a root directory nor a state key of tfboot.toml");
    sb.run(&["locks", "--older-than", "soon"])
        .code(2)
        .stderr_has("examples: 30m, 2h, 1d");
}

#[test]
fn unlock_needs_an_id_or_an_age_and_all_needs_an_age() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\n\n[[env]]\nname = \"dev\"\n",
    );
    sb.run(&["locks", "unlock", "envs/dev", "--yes"])
        .code(2)
        .stderr_has("--id")
        .stderr_has("--older-than");
    sb.run(&["locks", "unlock", "--all", "--yes"])
        .code(2)
        .stderr_has("--older-than");
    sb.run(&["locks", "unlock", "envs/dev", "--all", "--older-than", "1h"])
        .code(2)
        .stderr_has("cannot be used with");
    sb.run(&[
        "locks",
        "unlock",
        "--all",
        "--id",
        "x",
        "--older-than",
        "1h",
    ])
    .code(2)
    .stderr_has("cannot be used with");
    // Addresses are resolved before anything is contacted.
    sb.run(&["locks", "show", "envs/nope"])
        .code(2)
        .stderr_has("envs/nope: neither a root directory nor a state key");
    sb.run(&["locks", "show", "s3://other-bucket/k"])
        .code(2)
        .stderr_has(
            "the bucket other-bucket is not a store of tfboot.toml (stores: s3://acme-tfstate)",
        );
    sb.run(&["locks", "show", "s3://acme-tfstate"])
        .code(2)
        .stderr_has("name the state key too");
}

#[test]
fn paths_without_a_readable_backend_say_why() {
    let sb = Sandbox::new();
    sb.write(
        "live/partial/backend.tf",
        "terraform {\n  backend \"s3\" {}\n}\n",
    );
    sb.write(
        "live/consul/backend.tf",
        "terraform {\n  backend \"consul\" {\n    path = \"b\"\n  }\n}\n",
    );
    sb.write(
        "live/none/main.tf",
        "resource \"terraform_data\" \"x\" {}\n",
    );
    sb.run(&["locks", "list", "live"])
        .code(2)
        .stderr_has("no state tfboot can read in backend blocks under live")
        .stderr_has("skipped live/partial/backend.tf: bucket is not set (it may come from -backend-config at terraform init")
        .stderr_has("skipped live/consul/backend.tf: backend \"consul\": tfboot reads the locks of s3, gcs and azurerm stores");
    sb.run(&["locks", "list", "missing"])
        .code(2)
        .stderr_has("missing: no such file or directory");
    // No tfboot.toml and no PATH: the backend blocks under the working directory.
    sb.run(&["locks"])
        .code(2)
        .stderr_has("no state tfboot can read in backend blocks under .");
}

/// The states PATHs name, as the library resolves them: grouped by store, each block's own
/// endpoints and role, partial configurations merged, workspaces' prefix kept.
#[test]
fn states_from_paths_are_grouped_by_store() {
    use tfboot::live::targets::{collect, Target};
    let sb = Sandbox::new();
    sb.write(
        "live/app/backend.tf",
        r#"terraform {
  backend "s3" {
    bucket               = "acme-tfstate"
    key                  = "app.tfstate"
    region               = "eu-west-1"
    dynamodb_table       = "locks"
    workspace_key_prefix = "ws"
    endpoints            = { s3 = "https://s3.example", dynamodb = "https://ddb.example" }
    assume_role = {
      role_arn    = "arn:aws:iam::123456789012:role/terraform"
      external_id = "x-1"
    }
  }
}
"#,
    );
    sb.write(
        "live/db/backend.tf",
        "terraform {\n  backend \"s3\" {\n    bucket = \"acme-tfstate\"\n    region = \"eu-west-1\"\n    use_lockfile = true\n    endpoints = { s3 = \"https://s3.example\" }\n  }\n}\n",
    );
    sb.write("live/db/prod.s3.tfbackend", "key = \"db/prod.tfstate\"\n");
    sb.write("live/db/dev.s3.tfbackend", "key = \"db/dev.tfstate\"\n");
    sb.write(
        "live/other/backend.tf",
        "terraform {\n  backend \"s3\" {\n    bucket = \"other\"\n    key = \"k\"\n    region = \"us-east-1\"\n  }\n}\n",
    );
    let never = |_: &std::path::Path,
                 _: &mut tfboot::live::targets::Targets|
     -> tfboot::error::Result<()> {
        panic!("no tfboot.toml is read when PATHs are given")
    };
    let t = collect(None, &[sb.path().join("live")], &never).unwrap();
    assert!(t.skipped.is_empty(), "{:?}", t.skipped);
    assert_eq!(t.groups.len(), 2, "{:?}", t.groups);
    let g = &t.groups[0];
    let Target::S3(s3) = &g.target else {
        panic!("an s3 store: {:?}", g.target)
    };
    assert_eq!(s3.bucket, "acme-tfstate");
    assert_eq!(s3.endpoint_s3.as_deref(), Some("https://s3.example"));
    assert_eq!(s3.endpoint_dynamodb.as_deref(), Some("https://ddb.example"));
    assert_eq!(
        s3.role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/terraform")
    );
    assert_eq!(s3.external_id.as_deref(), Some("x-1"));
    let mut keys: Vec<(&str, &str, Option<&str>, bool)> = g
        .states
        .iter()
        .map(|s| {
            (
                s.key.as_str(),
                s.workspace_key_prefix.as_str(),
                s.backend_config.as_deref(),
                s.lockfile,
            )
        })
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            ("app.tfstate", "ws", None, false),
            ("db/dev.tfstate", "env:", Some("dev.s3.tfbackend"), true),
            ("db/prod.tfstate", "env:", Some("prod.s3.tfbackend"), true),
        ]
    );
    assert_eq!(g.tables(), vec!["locks".to_string()]);
    let Target::S3(other) = &t.groups[1].target else {
        panic!("an s3 store: {:?}", t.groups[1].target)
    };
    assert_eq!(
        (other.bucket.as_str(), other.region.as_str()),
        ("other", "us-east-1")
    );
}

#[test]
fn explain_knows_doctor_findings_and_the_locks_commands() {
    let sb = Sandbox::new();
    sb.run(&["explain"])
        .ok()
        .stdout_has("Findings of `tfboot doctor` (the live store):")
        .stdout_has("lock-table-key-schema");
    sb.run(&["explain", "store-versioning"])
        .ok()
        .stdout_has("store-versioning (warning)")
        .stdout_has("Fix:");
    sb.run(&["explain", "locking"])
        .ok()
        .stdout_has("tfboot locks unlock envs/prod --id <ID>")
        .stdout_has("tfboot doctor");
    sb.run(&["doctor", "nowhere"])
        .code(2)
        .stderr_has("nowhere: no such file or directory");
}

#[test]
fn gcs_lock_ids_are_generations() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        "[state]\nbackend = \"gcs\"\nbucket = \"acme-tfstate\"\nproject = \"acme-platform\"\nlocation = \"EU\"\n\n[[env]]\nname = \"dev\"\n",
    );
    sb.run(&[
        "locks",
        "unlock",
        "envs/dev",
        "--id",
        "5e6c4c5a-0b1d",
        "--yes",
    ])
    .code(2)
    .stderr_has("a gcs lock ID is the lock object's generation, a number");
    sb.run(&["locks", "show", "gs://other/envs/dev"])
        .code(2)
        .stderr_has("the bucket other is not a store of tfboot.toml (stores: gs://acme-tfstate)");
}

#[test]
fn azurerm_stores_need_a_shared_key_or_a_sas_token() {
    let sb = Sandbox::new();
    sb.write(
        "live/app/backend.tf",
        "terraform {\n  backend \"azurerm\" {\n    storage_account_name = \"acmetfstate\"\n    container_name = \"tfstate\"\n    key = \"app.tfstate\"\n  }\n}\n",
    );
    sb.write(
        "live/partial/backend.tf",
        "terraform {\n  backend \"azurerm\" {\n    storage_account_name = \"acmetfstate\"\n    container_name = \"tfstate\"\n  }\n}\n",
    );
    sb.run_env(&["locks", "list", "live"], &[("ARM_ACCESS_KEY", ""), ("ARM_SAS_TOKEN", "")])
        .code(2)
        .stderr_has("no credentials for storage account acmetfstate: tfboot reads azurerm stores with the account's shared key (ARM_ACCESS_KEY or access_key) or a SAS token");
    sb.run_env(
        &[
            "locks",
            "show",
            "azurerm://acmetfstate/other/k",
            "--path",
            "live",
        ],
        &[("ARM_ACCESS_KEY", "")],
    )
    .code(2)
    .stderr_has("the container acmetfstate/other is not a store");
    sb.run_env(
        &[
            "locks",
            "show",
            "azurerm://acmetfstate/tfstate",
            "--path",
            "live",
        ],
        &[("ARM_ACCESS_KEY", "")],
    )
    .code(2)
    .stderr_has("name the state key too (azurerm://<account>/<container>/<key>)");
}
