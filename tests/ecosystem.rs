//! Completions, man page and the explain topics.

use crate::support::Sandbox;

#[test]
fn completions_for_every_shell_and_a_man_page() {
    let sb = Sandbox::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = sb.run(&["completions", shell]).ok();
        for sub in ["bootstrap", "generate", "check", "explain"] {
            assert!(run.stdout.contains(sub), "{shell} completions lack {sub}");
        }
    }
    sb.run(&["completions", "tcsh"]).code(2);
    let man = sb.run(&["man"]).ok();
    assert!(man.stdout.contains(".TH tfboot 1"), "{}", man.stdout);
    assert!(man.stdout.contains("bootstrap"));
}

#[test]
fn explain_topics_state_the_facts() {
    let sb = Sandbox::new();
    let list = sb.run(&["explain"]).ok();
    for topic in ["locking", "bootstrap", "migrate-lock"] {
        assert!(list.stdout.contains(topic), "{topic} not listed");
    }
    let locking = sb.run(&["explain", "locking"]).ok().stdout;
    for fact in [
        ".terraform.lock.hcl",
        "LockID = \"<bucket>/<state path>\"",
        "`ID`, `Operation`, `Info`, `Who`, `Version`",
        "`Created` and `Path`",
        "<bucket>/<state path>-md5",
        "`Digest`",
        "is **not** the lock",
        ".tflock",
        "If-None-Match",
        "terraform force-unlock <ID>",
    ] {
        assert!(locking.contains(fact), "locking topic lacks {fact:?}");
    }
    let migrate = sb.run(&["explain", "migrate-lock"]).ok().stdout;
    assert!(migrate.contains("use_lockfile = true") && migrate.contains("dynamodb_table"));
    assert!(migrate.contains("1.11") && migrate.contains("OpenTofu"));
    let bootstrap = sb.run(&["explain", "bootstrap"]).ok().stdout;
    assert!(bootstrap.contains("override") && bootstrap.contains("-migrate-state -force-copy"));
}

#[test]
fn the_committed_schema_is_current_and_every_example_validates() {
    let sb = Sandbox::new();
    let printed = sb.run(&["schema"]).ok().stdout;
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tfboot.schema.json"))
            .unwrap();
    assert!(
        printed == committed,
        "tfboot.schema.json is stale: run `cargo run -- schema > tfboot.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let validator = jsonschema::validator_for(&schema).unwrap();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(examples).unwrap() {
        let cfg = entry.unwrap().path().join("tfboot.toml");
        if !cfg.exists() {
            continue;
        }
        let value: serde_json::Value =
            toml::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", cfg.display());
        seen += 1;
    }
    assert!(seen >= 2);
    // The schema knows what the loader rejects.
    let bad: serde_json::Value =
        toml::from_str("[state]\nbucket = \"b\"\nregion = \"r\"\nencrpyt = true\n").unwrap();
    assert!(!validator.is_valid(&bad));
    let bad: serde_json::Value =
        toml::from_str("[state]\nbucket = \"b\"\nregion = \"r\"\nlock = \"redis\"\n").unwrap();
    assert!(!validator.is_valid(&bad));
    // Each backend's shape with its own values: one backend's enum must not stand in for another's.
    for (doc, valid) in [
        ("[state]\nbucket = \"b\"\nregion = \"r\"\nencryption = \"aes256\"\n", true),
        ("[state]\nbucket = \"b\"\nregion = \"r\"\nencryption = \"google\"\n", false),
        ("[state]\nbackend = \"gcs\"\nbucket = \"b\"\nproject = \"acme-infra\"\nlocation = \"EU\"\nencryption = \"google\"\n\n[[env]]\nname = \"dev\"\nprefix = \"dev\"\n", true),
        ("[state]\nbackend = \"gcs\"\nbucket = \"b\"\nproject = \"acme-infra\"\nlocation = \"EU\"\nencryption = \"aes256\"\n", false),
        ("[state]\nbackend = \"gcs\"\nbucket = \"b\"\nproject = \"p\"\nlocation = \"EU\"\n\n[[env]]\nname = \"dev\"\nkey = \"k\"\n", false),
        ("[state]\nbackend = \"azurerm\"\nstorage_account = \"acmetfstate\"\nlocation = \"westeurope\"\nencryption = \"microsoft\"\nallowed_ips = [\"203.0.113.7\"]\n", true),
        ("[state]\nbackend = \"azurerm\"\nbucket = \"b\"\nlocation = \"westeurope\"\n", false),
    ] {
        let v: serde_json::Value = toml::from_str(doc).unwrap();
        assert_eq!(validator.is_valid(&v), valid, "{doc}");
    }
}

#[test]
fn init_points_editors_at_the_schema() {
    let sb = Sandbox::new();
    sb.run(&["init", "--name", "acme", "--region", "eu-west-1"])
        .ok();
    let cfg = sb.read("tfboot.toml");
    assert!(cfg.starts_with("#:schema ./tfboot.schema.json\n"), "{cfg}");
    let schema = sb.read("tfboot.schema.json");
    assert_eq!(schema, sb.run(&["schema"]).ok().stdout);
    let value: serde_json::Value = toml::from_str(&cfg).unwrap();
    let validator = jsonschema::validator_for(&serde_json::from_str(&schema).unwrap()).unwrap();
    assert!(validator.is_valid(&value));
}

/// Every `tfboot …` command line in the CI recipes and pre-commit hooks parses with the real CLI.
fn tfboot_invocations(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter_map(|l| l.find("tfboot ").map(|i| &l[i..]))
        .filter(|l| !l.starts_with("tfboot.") && !l.contains("install"))
        .map(|l| {
            // Cut shell plumbing: redirections, `|| true`, pipes.
            let cmd = l.split(['>', '|']).next().unwrap_or_default();
            cmd.split_whitespace().map(str::to_string).collect()
        })
        .collect()
}

fn assert_parses(args: &[String], origin: &str) {
    use clap::Parser as _;
    tfboot::cli::Cli::try_parse_from(args)
        .unwrap_or_else(|e| panic!("{origin}: `{}`: {e}", args.join(" ")));
}

#[test]
fn ci_recipes_and_pre_commit_hooks_are_valid_and_call_real_commands() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for file in ["docs/ci/github-actions.yml", "docs/ci/gitlab-ci.yml"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let _: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        for args in tfboot_invocations(&text) {
            assert_parses(&args, file);
            seen += 1;
        }
    }
    let gha: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(root.join("docs/ci/github-actions.yml")).unwrap(),
    )
    .unwrap();
    let steps = gha["jobs"]["tfboot"]["steps"].as_sequence().unwrap();
    assert!(steps.iter().any(|s| s["uses"]
        .as_str()
        .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif"))));
    assert!(steps.iter().any(|s| s["run"]
        .as_str()
        .is_some_and(|r| r.contains("--format sarif"))));
    assert!(steps.iter().any(|s| s["run"]
        .as_str()
        .is_some_and(|r| r.contains("generate --check"))));

    let hooks: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).unwrap(),
    )
    .unwrap();
    let hooks = hooks.as_sequence().unwrap();
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["tfboot-check", "tfboot-generate-check"]);
    for h in hooks {
        let mut args: Vec<String> = h["entry"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if h["pass_filenames"].as_bool() == Some(true) {
            args.push("main.tf".into());
        }
        assert_parses(&args, ".pre-commit-hooks.yaml");
        seen += 1;
    }
    assert!(seen >= 6, "{seen}");
}

#[test]
fn codeclimate_report_for_gitlab() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tfboot"))
        .args([
            "check",
            "tests/fixtures/check/no-state-locking/fires",
            "--exclude",
            "**/consul/**",
            "--format",
            "codeclimate",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let issue = &v[0];
    assert_eq!(issue["check_name"], "no-state-locking");
    assert_eq!(issue["severity"], "major");
    assert_eq!(
        issue["location"]["path"],
        "tests/fixtures/check/no-state-locking/fires/main.tf"
    );
    assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    assert!(issue["fingerprint"].as_str().unwrap().len() >= 16);
}
