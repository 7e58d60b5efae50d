//! Per-environment and discovered backends: layouts, discovery rules, collisions, drift, safety.

use crate::support::Sandbox;

const STATE: &str = "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\n";

fn config(layout: &str, lock: &str) -> String {
    format!(
        "layout = \"{layout}\"\n{STATE}lock = \"{lock}\"\n\n[[env]]\nname = \"dev\"\n\n[[env]]\nname = \"prod\"\nrole_arn = \"arn:aws:iam::111111111111:role/state\"\nworkspace_key_prefix = \"workspaces\"\n"
    )
}

#[test]
fn snapshots_per_lock_mode_and_layout() {
    for layout in ["dir", "tfbackend"] {
        for lock in ["dynamodb", "s3", "both"] {
            let sb = Sandbox::new();
            sb.write("tfboot.toml", &config(layout, lock));
            sb.run(&["generate"]).ok();
            if let Some(tf) = crate::support::terraform() {
                // terraform fmt only reads .tf files: judge the partial configurations as .tf too.
                let fmt_dir = tempfile::tempdir().unwrap();
                for (i, (_, content)) in sb.files("envs").iter().enumerate() {
                    std::fs::write(fmt_dir.path().join(format!("f{i}.tf")), content).unwrap();
                }
                let out = std::process::Command::new(tf)
                    .args(["fmt", "-check", "-list=true", "-diff"])
                    .current_dir(fmt_dir.path())
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{layout}/{lock}: terraform fmt would change:\n{}",
                    String::from_utf8_lossy(&out.stdout)
                );
            }
            let mut all = String::new();
            for (name, content) in sb.files("envs") {
                all.push_str(&format!("===== envs/{name} =====\n{content}"));
                if name.ends_with(".tf") || name.ends_with(".tfbackend") {
                    hcl::parse(&content).unwrap_or_else(|e| panic!("{name}: {e}"));
                }
            }
            insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!(format!("env_backends_{layout}_{lock}"), all);
            });
        }
    }
}

#[test]
fn tfbackend_layout_keeps_one_partial_backend_per_directory() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        &format!("layout = \"tfbackend\"\n{STATE}\n[[env]]\nname = \"dev\"\ndir = \"app\"\n\n[[env]]\nname = \"prod\"\ndir = \"app\"\n"),
    );
    sb.run(&["generate"]).ok();
    let names: Vec<String> = sb.files("app").into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["backend.tf", "dev.s3.tfbackend", "prod.s3.tfbackend"]
    );
    assert!(sb.read("app/backend.tf").contains("backend \"s3\" {}"));
    assert!(sb
        .read("app/dev.s3.tfbackend")
        .contains("key            = \"app/dev/terraform.tfstate\""));
    assert!(sb
        .read("app/prod.s3.tfbackend")
        .contains("key            = \"app/prod/terraform.tfstate\""));

    // A directory that already has its own `backend "s3" {}` keeps it; only the partials are added.
    let sb = Sandbox::new();
    sb.write("app/main.tf", "terraform {\n  backend \"s3\" {}\n}\n");
    sb.write(
        "tfboot.toml",
        &format!("layout = \"tfbackend\"\n{STATE}\n[[env]]\nname = \"dev\"\ndir = \"app\"\n"),
    );
    sb.run(&["generate"]).ok();
    assert!(!sb.join("app/backend.tf").exists());
    assert!(sb.join("app/dev.s3.tfbackend").exists());
}

fn monorepo(sb: &Sandbox) {
    sb.write(
        "tfboot.toml",
        &format!("{STATE}\n[discover]\nroots = [\"live/**\"]\nexclude = [\"**/legacy/**\"]\n"),
    );
    sb.write("live/prod/app/main.tf", "module \"net\" {\n  source = \"../../../modules/net\"\n}\n\nmodule \"local\" {\n  source = \"./helper\"\n}\n");
    sb.write(
        "live/prod/app/helper/main.tf",
        "variable \"x\" {\n  default = 1\n}\n",
    );
    sb.write(
        "live/prod/db/main.tf",
        "resource \"terraform_data\" \"db\" {}\n",
    );
    sb.write(
        "live/prod/db/.terraform/modules/x/main.tf",
        "resource \"terraform_data\" \"cached\" {}\n",
    );
    sb.write(
        "live/legacy/old/main.tf",
        "resource \"terraform_data\" \"old\" {}\n",
    );
    sb.write(
        "live/ignored/main.tf",
        "resource \"terraform_data\" \"ignored\" {}\n",
    );
    sb.write(".gitignore", "live/ignored/\n");
    sb.write("live/prod/docs/README.md", "no terraform here\n");
    sb.write(
        "modules/net/main.tf",
        "variable \"cidr\" {\n  default = \"10.0.0.0/16\"\n}\n",
    );
}

#[test]
fn discovery_finds_roots_and_skips_child_modules_excludes_and_caches() {
    let sb = Sandbox::new();
    monorepo(&sb);
    let run = sb.run(&["generate"]).ok();
    assert!(
        run.stdout.contains("[discover] found 2 root module(s)"),
        "{}",
        run.stdout
    );
    assert!(sb
        .read("live/prod/app/backend.tf")
        .contains("key            = \"live/prod/app/terraform.tfstate\""));
    assert!(sb
        .read("live/prod/db/backend.tf")
        .contains("key            = \"live/prod/db/terraform.tfstate\""));
    for skipped in [
        "live/prod/app/helper/backend.tf", // child module (./helper)
        "modules/net/backend.tf",          // outside roots, and a child module
        "live/legacy/old/backend.tf",      // excluded
        "live/ignored/backend.tf",         // git-ignored
        "live/prod/db/.terraform/modules/x/backend.tf",
        "live/prod/docs/backend.tf", // no .tf files
    ] {
        assert!(
            !sb.join(skipped).exists(),
            "{skipped} should not get a backend"
        );
    }
    sb.run(&["generate"]).ok().stdout_has("(nothing to do)");
    sb.run(&["generate", "--check"]).ok();
}

#[test]
fn env_and_discovered_root_sharing_a_key_is_exit_2_naming_both() {
    let sb = Sandbox::new();
    monorepo(&sb);
    let cfg = sb.read("tfboot.toml");
    sb.write(
        "tfboot.toml",
        &format!("{cfg}\n[[env]]\nname = \"dev\"\nkey = \"live/prod/db/terraform.tfstate\"\n"),
    );
    let run = sb.run(&["generate"]).code(2);
    assert!(run.stderr.contains("live/prod/db"), "{}", run.stderr);
    assert!(run.stderr.contains("env \"dev\""), "{}", run.stderr);
    assert!(!sb.join("bootstrap").exists(), "nothing written");
    assert!(!sb.join("envs").exists());
}

#[test]
fn same_key_with_different_workspace_prefix_still_collides() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        &format!("{STATE}\n[[env]]\nname = \"a\"\nkey = \"k/terraform.tfstate\"\nworkspace_key_prefix = \"x\"\n\n[[env]]\nname = \"b\"\nkey = \"k/terraform.tfstate\"\nworkspace_key_prefix = \"y\"\n"),
    );
    sb.run(&["generate"])
        .code(2)
        .stderr_has("default workspace");
}

#[test]
fn directories_must_stay_inside_the_repository() {
    for dir in [
        "/etc/tf",
        "../elsewhere",
        "envs/../../elsewhere",
        "C:\\\\tf",
    ] {
        let sb = Sandbox::new();
        sb.write(
            "repo/tfboot.toml",
            &format!("{STATE}\n[[env]]\nname = \"dev\"\ndir = \"{dir}\"\n"),
        );
        let run = sb
            .run(&["generate", "--config", "repo/tfboot.toml"])
            .code(2);
        assert!(run.stderr.contains("env[0].dir"), "{dir}: {}", run.stderr);
        let names: Vec<_> = std::fs::read_dir(sb.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["repo"], "{dir}: nothing written");
    }
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        &format!("{STATE}bootstrap_dir = \"../up\"\n"),
    );
    sb.run(&["generate"])
        .code(2)
        .stderr_has("state.bootstrap_dir");
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        &format!("{STATE}\n[[env]]\nname = \"../dev\"\n"),
    );
    sb.run(&["generate"]).code(2).stderr_has("env[0].name");
}

#[test]
fn a_root_with_its_own_backend_is_not_given_a_second_one() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        &format!("{STATE}\n[[env]]\nname = \"dev\"\n"),
    );
    sb.write("envs/dev/main.tf", "terraform {\n  required_version = \">= 1.6\"\n\n  backend \"s3\" {\n    bucket = \"other\"\n  }\n}\n");
    let run = sb.run(&["generate"]).code(1);
    assert!(run.stderr.contains("envs/dev/main.tf:4"), "{}", run.stderr);
    assert!(!sb.join("envs/dev/backend.tf").exists());
    assert!(!sb.join("bootstrap").exists(), "nothing written");
}

#[test]
fn unparsable_terraform_in_the_tree_is_exit_2_naming_the_file() {
    let sb = Sandbox::new();
    monorepo(&sb);
    sb.write("live/prod/db/broken.tf", "resource \"x\" {\n  a = \n}\n");
    let run = sb.run(&["generate"]).code(2);
    assert!(
        run.stderr.contains("broken.tf") && run.stderr.contains("line 2"),
        "{}",
        run.stderr
    );
    assert!(!sb.join("bootstrap").exists());
}

#[test]
fn drift_check_diff_and_removed_envs() {
    let sb = Sandbox::new();
    sb.write("tfboot.toml", &config("dir", "dynamodb"));
    sb.run(&["generate"]).ok();
    sb.run(&["generate", "--check"]).ok();

    // Hand edit → --check fails, generate refuses.
    let dev = sb.read("envs/dev/backend.tf");
    sb.write(
        "envs/dev/backend.tf",
        &dev.replace("encrypt        = true", "encrypt        = false"),
    );
    sb.run(&["generate", "--check"])
        .code(1)
        .stdout_has("hand-edited: envs/dev/backend.tf");
    sb.run(&["generate"])
        .code(1)
        .stdout_has("refused   envs/dev/backend.tf");
    sb.write("envs/dev/backend.tf", &dev);

    // Config change → outdated, with a diff; then generate brings it current.
    sb.write("tfboot.toml", &config("dir", "both"));
    let run = sb.run(&["generate", "--check", "--diff"]).code(1);
    assert!(
        run.stdout.contains("outdated: envs/dev/backend.tf"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("+    use_lockfile   = true"),
        "{}",
        run.stdout
    );
    sb.run(&["generate"]).ok();
    sb.run(&["generate", "--check"]).ok();

    // An env removed from the config: its file is reported, never deleted.
    sb.write(
        "tfboot.toml",
        &format!("{STATE}lock = \"both\"\n\n[[env]]\nname = \"dev\"\n"),
    );
    let run = sb.run(&["generate"]).ok();
    assert!(
        run.stdout.contains("stale: envs/prod/backend.tf"),
        "{}",
        run.stdout
    );
    assert!(sb.join("envs/prod/backend.tf").exists());
    sb.run(&["generate", "--check"])
        .code(1)
        .stdout_has("stale: envs/prod/backend.tf");
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_repository_is_refused() {
    let sb = Sandbox::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(sb.join("repo")).unwrap();
    std::os::unix::fs::symlink(outside.path(), sb.join("repo/envs")).unwrap();
    sb.write(
        "repo/tfboot.toml",
        &format!("{STATE}\n[[env]]\nname = \"dev\"\n"),
    );
    sb.run(&["generate", "--config", "repo/tfboot.toml"])
        .code(2)
        .stderr_has("through a symlink");
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        0,
        "nothing written outside"
    );
    assert!(!sb.join("repo/bootstrap").exists());
}

#[test]
fn a_hand_written_backend_tf_is_refused_then_replaced_with_force() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        &format!("{STATE}\n[[env]]\nname = \"dev\"\n"),
    );
    let hand =
        "terraform {\n  backend \"s3\" {\n    bucket = \"old\"\n    key    = \"x\"\n  }\n}\n";
    sb.write("envs/dev/backend.tf", hand);
    let run = sb.run(&["generate"]).code(1);
    assert!(
        run.stdout
            .contains("refused   envs/dev/backend.tf (has no tfboot marker"),
        "{}",
        run.stdout
    );
    assert_eq!(sb.read("envs/dev/backend.tf"), hand);
    sb.run(&["generate", "--force"]).ok();
    assert!(sb
        .read("envs/dev/backend.tf")
        .contains("bucket         = \"acme-tfstate\""));
}
