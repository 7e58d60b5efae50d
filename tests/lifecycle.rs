//! Life after the first run: mode changes leave no live file behind, flags never silently fight
//! the config, and every root whose backend changed is told which `terraform init` it needs.

use crate::support::Sandbox;

const CONFIG: &str = r#"[state]
bucket = "acme-tfstate"
region = "eu-west-1"
tags   = { team = "platform" }

[[env]]
name = "dev"

[[env]]
name = "prod"
"#;

fn project() -> Sandbox {
    let sb = Sandbox::new();
    sb.write("tfboot.toml", CONFIG);
    sb.run(&["generate"]).ok();
    sb
}

fn set_config(sb: &Sandbox, extra_state: &str) {
    sb.write(
        "tfboot.toml",
        &CONFIG.replace(
            "region = \"eu-west-1\"\n",
            &format!("region = \"eu-west-1\"\n{extra_state}"),
        ),
    );
}

#[test]
fn switching_lock_and_encryption_reports_the_files_left_behind() {
    let sb = project();
    assert!(sb.join("bootstrap/dynamodb.tf").exists());
    assert!(sb.join("bootstrap/kms.tf").exists());
    set_config(&sb, "lock = \"s3\"\nencryption = \"aes256\"\n");

    let r = sb.run(&["generate", "--check"]).code(1);
    assert!(
        r.stdout.contains("stale: bootstrap/dynamodb.tf"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("stale: bootstrap/kms.tf"), "{}", r.stdout);
    assert!(!r.stdout.contains("up to date\n"), "{}", r.stdout);

    let r = sb.run(&["generate"]).ok();
    // Written, not deleted: an apply would still create the table and the key, so say so.
    assert!(sb.join("bootstrap/dynamodb.tf").exists());
    assert!(
        r.stdout.contains("stale: bootstrap/dynamodb.tf"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("deletion_protection_enabled"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("removed { from = aws_dynamodb_table.lock"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("deletion_window_in_days = 30"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("`tfboot generate --prune` deletes it"),
        "{}",
        r.stdout
    );

    // Only stale files left: --check still fails, and does not claim all is well.
    let r = sb.run(&["generate", "--check"]).code(1);
    assert!(
        r.stdout.contains("up to date, but 2 stale file(s) remain"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("tfboot: all"), "{}", r.stdout);

    let r = sb.run(&["generate", "--prune"]).ok();
    assert!(
        r.stdout.contains("deleted   bootstrap/dynamodb.tf"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("deleted   bootstrap/kms.tf"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("warning: deleted bootstrap/kms.tf"),
        "{}",
        r.stdout
    );
    assert!(!sb.join("bootstrap/dynamodb.tf").exists());
    assert!(!sb.join("bootstrap/kms.tf").exists());
    let r = sb.run(&["generate", "--check"]).ok();
    assert!(
        r.stdout.starts_with("tfboot: all 9 files are up to date"),
        "{}",
        r.stdout
    );
}

#[test]
fn prune_never_deletes_edited_or_foreign_files() {
    let sb = project();
    // Edited since tfboot wrote it: stale, reported, kept.
    let kms = sb
        .read("bootstrap/kms.tf")
        .replace("rotation", "rotation (edited)");
    sb.write("bootstrap/kms.tf", &kms);
    // Hand-written: not tfboot's business at all.
    sb.write("bootstrap/extra.tf", "# mine\n");
    sb.write("envs/dev/main.tf", "# mine\n");
    set_config(&sb, "encryption = \"aes256\"\n");
    let r = sb.run(&["generate", "--prune"]).ok();
    assert!(r.stdout.contains("stale: bootstrap/kms.tf"), "{}", r.stdout);
    assert!(
        r.stdout.contains("edited since, so `--prune` leaves it"),
        "{}",
        r.stdout
    );
    assert_eq!(sb.read("bootstrap/kms.tf"), kms);
    assert_eq!(sb.read("bootstrap/extra.tf"), "# mine\n");
    assert!(!r.stdout.contains("extra.tf"), "{}", r.stdout);
    assert!(!r.stdout.contains("deleted"), "{}", r.stdout);
}

#[test]
fn removed_env_backend_is_pruned_but_another_projects_files_are_not_stale() {
    let sb = project();
    // A nested project with its own tfboot.toml generates into its own tree.
    sb.write(
        "team-b/tfboot.toml",
        &CONFIG.replace("acme-tfstate", "teamb-tfstate"),
    );
    let r = sb.run_in("team-b", &["generate"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    sb.write(
        "tfboot.toml",
        &CONFIG.replace("\n[[env]]\nname = \"prod\"\n", ""),
    );
    let r = sb.run(&["generate", "--prune"]).ok();
    assert!(
        r.stdout.contains("deleted   envs/prod/backend.tf"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("team-b"), "{}", r.stdout);
    assert!(sb.join("team-b/envs/prod/backend.tf").exists());
}

#[test]
fn bootstrap_from_flags_reports_and_prunes_stale_files() {
    let sb = Sandbox::new();
    let base = [
        "bootstrap",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
    ];
    sb.run(&base).ok();
    let mut s3 = base.to_vec();
    s3.extend(["--lock", "s3"]);
    let r = sb.run(&s3).ok();
    assert!(
        r.stdout.contains("stale: bootstrap/dynamodb.tf"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("--prune deletes it"), "{}", r.stdout);
    // --apply refuses to run terraform on a module that still declares the table.
    let mut apply = s3.clone();
    apply.extend(["--apply", "--terraform", "no-such-terraform-binary"]);
    sb.run(&apply)
        .code(1)
        .stderr_has("stale file(s) in bootstrap declare resources");
    s3.push("--prune");
    let r = sb.run(&s3).ok();
    assert!(
        r.stdout.contains("deleted   bootstrap/dynamodb.tf"),
        "{}",
        r.stdout
    );
    assert!(!sb.join("bootstrap/dynamodb.tf").exists());
}

#[test]
fn flags_that_disagree_with_the_config_are_exit_2_naming_both() {
    let sb = project();
    let before = sb.files("bootstrap");
    let r = sb
        .run(&[
            "bootstrap",
            "--bucket",
            "other-tfstate",
            "--region",
            "eu-west-1",
        ])
        .code(2);
    assert!(
        r.stderr.contains(
            "--bucket other-tfstate but state.bucket = \"acme-tfstate\" (line 2) in tfboot.toml"
        ),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("drop the flags"), "{}", r.stderr);
    assert!(r.stderr.contains("--out DIR"), "{}", r.stderr);
    assert_eq!(sb.files("bootstrap"), before, "nothing written");

    // A tag set that is not the config's is a disagreement too (the reported bug: tags lost).
    sb.run(&[
        "bootstrap",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
        "--tag",
        "team=other",
    ])
    .code(2)
    .stderr_has("--tag gives { team = \"other\" } but state.tags = { team = \"platform\" }");
    assert_eq!(sb.files("bootstrap"), before, "nothing written");
}

#[test]
fn flags_that_agree_with_the_config_keep_its_settings() {
    let sb = project();
    let before = sb.files("bootstrap");
    let r = sb
        .run(&[
            "bootstrap",
            "--bucket",
            "acme-tfstate",
            "--region",
            "eu-west-1",
        ])
        .ok();
    assert!(r.stdout.contains("0 created, 0 updated"), "{}", r.stdout);
    assert_eq!(sb.files("bootstrap"), before, "tags and all kept");
    // Elsewhere, flags are on their own.
    sb.run(&[
        "bootstrap",
        "--bucket",
        "other-tfstate",
        "--region",
        "eu-west-1",
        "--out",
        "other-bootstrap",
    ])
    .ok();
    assert!(sb.read("other-bootstrap/s3.tf").contains("other-tfstate"));
    assert_eq!(sb.files("bootstrap"), before);
}

#[test]
fn changed_backend_settings_name_the_init_each_root_needs() {
    let sb = project();
    // The bootstrap module counts once it is bootstrapped (its override is gone).
    std::fs::remove_file(sb.join("bootstrap/bootstrap_override.tf")).unwrap();
    set_config(&sb, "lock = \"both\"\n");
    let r = sb.run(&["generate"]).ok();
    for dir in ["bootstrap", "envs/dev", "envs/prod"] {
        let line = format!("  cd {dir} && terraform init -reconfigure   # use_lockfile changed");
        assert!(r.stdout.contains(&line), "lacks {line:?}:\n{}", r.stdout);
    }
    assert!(!r.stdout.contains("terraform plan"), "{}", r.stdout);

    // A new key moves the state: -migrate-state.
    sb.write(
        "tfboot.toml",
        &CONFIG.replace(
            "name = \"prod\"\n",
            "name = \"prod\"\nkey = \"prod/app.tfstate\"\n",
        ),
    );
    let r = sb.run(&["generate", "--format", "json"]).ok();
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let reinit = doc["reinit"].as_array().unwrap();
    let prod = reinit
        .iter()
        .find(|x| x["dir"] == "envs/prod")
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert_eq!(prod["mode"], "migrate-state");
    assert_eq!(prod["command"], "terraform init -migrate-state");
    assert!(prod["changed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "key"));
    let dev = reinit.iter().find(|x| x["dir"] == "envs/dev").unwrap();
    assert_eq!(dev["mode"], "reconfigure");
    // Nothing changed on a rerun: nothing to re-initialise.
    let r = sb.run(&["generate", "--format", "json"]).ok();
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["reinit"].as_array().unwrap().len(), 0);
    assert_eq!(doc["ok"], true);
}

#[test]
fn diff_is_a_preview_that_writes_nothing() {
    let sb = Sandbox::new();
    sb.write("tfboot.toml", CONFIG);
    let r = sb.run(&["generate", "--diff"]).code(1);
    assert!(r.stdout.contains("+++ b/bootstrap/s3.tf"), "{}", r.stdout);
    assert!(!sb.join("bootstrap").exists(), "--diff wrote files");
}

#[test]
fn generate_finds_the_config_in_a_parent_directory_up_to_the_repository_root() {
    let sb = Sandbox::new();
    sb.write("repo/.git/HEAD", "ref: refs/heads/main\n");
    sb.write("repo/tfboot.toml", CONFIG);
    sb.write("repo/envs/dev/main.tf", "# app\n");
    let r = sb.run_in("repo/envs/dev", &["generate"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("using ../../tfboot.toml"), "{}", r.stdout);
    assert!(sb.join("repo/bootstrap/s3.tf").exists());
    assert!(sb.join("repo/envs/dev/backend.tf").exists());

    // Not beyond the repository root.
    sb.write("tfboot.toml", CONFIG);
    sb.write("repo2/.git/HEAD", "ref: refs/heads/main\n");
    sb.write("repo2/app/main.tf", "# app\n");
    let r = sb.run_in("repo2/app", &["generate"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("up to the repository root"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("tfboot init"), "{}", r.stderr);
}

// ---- Messages that used to be wrong ----

#[test]
fn env_clashes_name_the_field_that_clashes_and_both_lines() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\nbootstrap_key = \"envs/dev/terraform.tfstate\"\n\n[[env]]\nname = \"dev\"\n\n[[env]]\nname = \"dev\"\nkey = \"x/terraform.tfstate\"\n\n[[env]]\nname = \"qa\"\ndir = \"envs/dev\"\nkey = \"y/terraform.tfstate\"\n",
    );
    let r = sb.run(&["generate"]).code(2).stderr_has_all(&[
        // The key clashes, not the name, and the bootstrap key's own line is named.
        "tfboot.toml:7: env[0].key (default) = \"envs/dev/terraform.tfstate\": state address s3://acme-tfstate/envs/dev/terraform.tfstate is also used by the bootstrap module (state.bootstrap_key at line 4)",
        "tfboot.toml:10: env[1].name = \"dev\": environment names must be unique; env[0].name at line 7 has the same name",
        "tfboot.toml:10: env[1].dir (default) = \"envs/dev\": env \"dev\" (env[0].dir (default) at line 7) uses the same directory",
        "tfboot.toml:15: env[2].dir = \"envs/dev\"",
    ]);
    assert!(
        !r.stderr.contains("name = \"envs/dev/terraform.tfstate\""),
        "{}",
        r.stderr
    );
    assert!(!sb.join("bootstrap").exists());
}

#[test]
fn env_tags_are_rejected_until_they_do_something() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\n\n[[env]]\nname = \"dev\"\ntags = { team = \"a\" }\n",
    );
    sb.run(&["generate"]).code(2).stderr_has(
        "tfboot.toml:7: env[0].tags = \"team=a\": per-environment tags are not supported",
    );
    assert!(!sb.join("bootstrap").exists());
    // And the schema editors read does not offer them.
    let schema: serde_json::Value = serde_json::from_str(&sb.run(&["schema"]).ok().stdout).unwrap();
    assert!(schema["$defs"]["EnvSection"]["properties"]
        .get("tags")
        .is_none());
}

#[test]
fn init_with_another_config_path_says_how_to_use_it() {
    let sb = Sandbox::new();
    sb.run(&[
        "init",
        "--name",
        "acme",
        "--region",
        "eu-west-1",
        "--config",
        "other.toml",
    ])
    .ok()
    .stdout_has("next: tfboot generate --config other.toml");
    std::fs::create_dir(sb.join("conf")).unwrap();
    let r = sb
        .run(&[
            "init",
            "--name",
            "acme",
            "--region",
            "eu-west-1",
            "--config",
            "conf",
        ])
        .code(2);
    assert!(
        r.stderr.contains("--config conf is a directory"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("refusing"), "{}", r.stderr);
    assert!(std::fs::read_dir(sb.join("conf")).unwrap().next().is_none());
    sb.run(&["generate", "--config", "conf"])
        .code(2)
        .stderr_has("is a directory");
}

#[test]
fn markdown_gets_markdown_escaping_not_hcl_escaping() {
    let sb = Sandbox::new();
    sb.run(&[
        "bootstrap",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
    ])
    .ok();
    let readme = sb.read("bootstrap/README.md");
    assert!(readme.contains("`lock = \"both\"`"), "{readme}");
    assert!(
        !readme.contains("\\\""),
        "HCL escape in Markdown:\n{readme}"
    );
}

// ---- The flags people reach for ----

#[test]
fn bootstrap_reads_the_region_from_the_environment() {
    let sb = Sandbox::new();
    sb.run_env(
        &["bootstrap", "--bucket", "acme-tfstate"],
        &[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "eu-central-1")],
    )
    .ok();
    assert!(sb
        .read("bootstrap/versions.tf")
        .contains("region = \"eu-central-1\""));
    let sb = Sandbox::new();
    sb.run_env(
        &["bootstrap", "--bucket", "acme-tfstate"],
        &[("AWS_REGION", ""), ("AWS_DEFAULT_REGION", "")],
    )
    .code(2)
    .stderr_has("--region is required with --bucket (or set AWS_REGION)");
}

#[test]
fn every_subcommand_help_shows_an_example() {
    let sb = Sandbox::new();
    for cmd in [
        "init",
        "bootstrap",
        "generate",
        "check",
        "explain",
        "templates",
        "schema",
        "completions",
        "man",
    ] {
        let r = sb.run(&[cmd, "--help"]).ok();
        assert!(
            r.stdout.to_lowercase().contains("example"),
            "{cmd} --help has no example:\n{}",
            r.stdout
        );
    }
    let r = sb.run(&["bootstrap", "--help"]).ok();
    for d in [
        "[default: dynamodb]",
        "[default: <bucket>-lock]",
        "[default: bootstrap]",
    ] {
        assert!(
            r.stdout.contains(d),
            "bootstrap --help lacks {d}:\n{}",
            r.stdout
        );
    }
}

#[test]
fn explicit_names_get_the_clean_up_suggestion() {
    let sb = Sandbox::new();
    sb.run(&["init", "--name", "Acme_Corp", "--region", "eu-west-1"])
        .code(2)
        .stderr_has("did you mean --name acme-corp (bucket acme-corp-tfstate)?");
    assert!(!sb.join("tfboot.toml").exists());
}

#[test]
fn every_unknown_field_is_reported_at_once() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        "[state]\nbuckett = \"acme-tfstate\"\nregion = \"eu-west-1\"\nLock = \"s3\"\n\n[[env]]\nname = \"dev\"\ndri = \"x\"\n\n[discover]\nroot = [\"live/**\"]\n",
    );
    let r = sb.run(&["generate"]).code(2).stderr_has_all(&[
        "line 2: unknown field `buckett` in [state]; did you mean `bucket`?",
        "line 4: unknown field `Lock` in [state]; did you mean `lock`?",
        "line 8: unknown field `dri` in [[env]]; did you mean `dir`?",
        "line 11: unknown field `root` in [discover]; did you mean `roots`?",
    ]);
    assert_eq!(r.stderr.matches("unknown field").count(), 4, "{}", r.stderr);
}

#[test]
fn regions_get_case_and_whitespace_aware_suggestions() {
    let sb = Sandbox::new();
    let init = |region: &str| {
        sb.run(&["init", "--name", "acme", "--region", region])
            .code(2)
            .stderr
    };
    assert!(init("EU-WEST-1").contains("did you mean \"eu-west-1\"? (region names are lowercase)"));
    assert!(init("eu-west-1 ")
        .contains("did you mean \"eu-west-1\"? (remove the surrounding whitespace)"));
    let typo = init("eu-wst-1");
    assert!(typo.contains("(did you mean eu-west-1?)"), "{typo}");
}

#[test]
fn check_on_a_tree_without_terraform_files_says_so() {
    let sb = Sandbox::new();
    sb.write("docs/readme.md", "# nothing here\n");
    let r = sb.run(&["check", "."]).ok();
    assert!(r.stderr.contains("no Terraform files"), "{}", r.stderr);
}

#[test]
fn a_root_initialised_before_it_had_a_backend_needs_migrate_state() {
    let sb = Sandbox::new();
    sb.write("tfboot.toml", CONFIG);
    // envs/dev ran `terraform init` with local state before tfboot gave it a backend.
    sb.write("envs/dev/main.tf", "resource \"terraform_data\" \"x\" {}\n");
    sb.write("envs/dev/.terraform/terraform.tfstate", "{\"version\":3}\n");
    let r = sb.run(&["generate"]).ok();
    assert!(
        r.stdout
            .contains("cd envs/dev && terraform init -migrate-state"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("cd envs/prod &&"), "{}", r.stdout);
}

#[test]
fn a_stale_backend_of_a_live_root_and_a_stale_bucket_say_what_deleting_them_means() {
    let sb = project();
    sb.write("envs/dev/main.tf", "resource \"terraform_data\" \"x\" {}\n");
    sb.write(
        "tfboot.toml",
        &CONFIG
            .replace("\n[[env]]\nname = \"dev\"\n", "")
            .replace("\n[[env]]\nname = \"prod\"\n", "")
            .replace(
                "region = \"eu-west-1\"\n",
                "region = \"eu-west-1\"\nbootstrap_dir = \"infra/bootstrap\"\n",
            ),
    );
    let r = sb.run(&["generate"]).ok();
    let after = |path: &str| {
        let at = r
            .stdout
            .find(&format!("stale: {path} "))
            .unwrap_or_else(|| panic!("{}", r.stdout));
        r.stdout[at..]
            .lines()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        after("envs/dev/backend.tf").contains("offers to copy the state to local disk"),
        "{}",
        r.stdout
    );
    assert!(
        after("bootstrap/s3.tf").contains("declares the state bucket"),
        "{}",
        r.stdout
    );
    // A removed env whose directory is gone entirely needs no such warning.
    assert!(
        !after("envs/prod/backend.tf").contains("careful"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_layout_switch_keeps_the_state_where_it_is() {
    let sb = project();
    // From blocks to partial configuration: the same settings, now in <env>.s3.tfbackend.
    sb.write("tfboot.toml", &format!("layout = \"tfbackend\"\n{CONFIG}"));
    let r = sb.run(&["generate", "--format", "json"]).ok();
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let dev = doc["reinit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["dir"] == "envs/dev")
        .unwrap_or_else(|| panic!("{}", r.stdout))
        .clone();
    assert_eq!(dev["mode"], "reconfigure", "{dev}");
    assert_eq!(
        dev["command"],
        "terraform init -reconfigure -backend-config=dev.s3.tfbackend"
    );
    assert!(dev["reason"]
        .as_str()
        .unwrap()
        .contains("stays where it is"));
}
