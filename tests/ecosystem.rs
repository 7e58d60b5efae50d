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
