//! `tfboot check` and `tfboot explain`: one fixture directory per rule (`fires/` and `clean/`),
//! snapshots of the text and JSON output, exit codes, and tfboot's own output checking clean.

use std::path::Path;

use crate::support::Sandbox;

fn fixtures() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check");
    let mut rules: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    rules.sort();
    rules
}

fn run_check(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tfboot"))
        .arg("check")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn rules_in(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut r: Vec<String> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect();
    r.dedup();
    r
}

#[test]
fn every_rule_has_a_fixture_that_fires_and_one_that_does_not() {
    let ids: Vec<&str> = tfboot::check::rules::ALL.iter().map(|r| r.id).collect();
    let fixtures = fixtures();
    assert_eq!(fixtures, {
        let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    });
    for rule in &fixtures {
        let fires = format!("tests/fixtures/check/{rule}/fires");
        let clean = format!("tests/fixtures/check/{rule}/clean");
        let (_, json) = run_check(&[&fires, "--format", "json"]);
        assert!(
            rules_in(&json).contains(rule),
            "{rule} does not fire on {fires}:\n{json}"
        );
        // Clean: the rule stays silent, and nothing else is worse than `info` (advice about what
        // tfboot cannot see, such as Terraform 1.11's dynamodb_table deprecation, may remain).
        let (code, json) = run_check(&[&clean, "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let noisy: Vec<&serde_json::Value> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["rule"] == rule.as_str() || d["severity"] != "info")
            .collect();
        assert!(noisy.is_empty(), "{clean} is not clean:\n{json}");
        assert_eq!(code, 0);
        let (_, text) = run_check(&[&fires]);
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("check_{rule}_text"), text);
            insta::assert_snapshot!(format!("check_{rule}_json"), run_check(&[&fires, "--format", "json"]).1);
        });
    }
}

#[test]
fn json_diagnostics_carry_the_documented_fields() {
    let (code, json) = run_check(&[
        "tests/fixtures/check/no-state-locking/fires",
        "--exclude",
        "**/consul/**",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let d = &v["diagnostics"][0];
    for field in [
        "rule",
        "severity",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
    ] {
        assert!(!d[field].is_null(), "missing {field}: {d}");
    }
    assert_eq!(
        d["file"],
        "tests/fixtures/check/no-state-locking/fires/main.tf"
    );
    assert_eq!(d["severity"], "error");
    assert_eq!(v["summary"]["errors"], 1);
}

#[test]
fn sarif_and_github_formats() {
    let (code, sarif) = run_check(&[
        "tests/fixtures/check/invalid-bucket-name/fires",
        "--format",
        "sarif",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), tfboot::check::rules::ALL.len());
    // The S3 fixture's finding (the fixture also holds a gcs and an azurerm root).
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| u.ends_with("fires/main.tf"))
        })
        .unwrap();
    assert_eq!(result["ruleId"], "invalid-bucket-name");
    let idx = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], "invalid-bucket-name");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 5);
    assert!(result["partialFingerprints"]["tfboot/v1"].is_string());

    let (_, gh) = run_check(&[
        "tests/fixtures/check/invalid-bucket-name/fires",
        "--format",
        "github",
    ]);
    assert!(
        gh.lines().any(|l| l.starts_with(
            "::error file=tests/fixtures/check/invalid-bucket-name/fires/main.tf,line=5,col="
        )),
        "{gh}"
    );
    assert!(gh.contains("title=invalid-bucket-name::"));
}

#[test]
fn exit_codes() {
    // Warnings only: 0, unless --deny-warnings.
    let (code, _) = run_check(&["tests/fixtures/check/missing-region/fires"]);
    assert_eq!(code, 0);
    let (code, _) = run_check(&[
        "tests/fixtures/check/missing-region/fires",
        "--deny-warnings",
    ]);
    assert_eq!(code, 1);
    let sb = Sandbox::new();
    sb.run(&["check", "no/such/dir"])
        .code(2)
        .stderr_has("no/such/dir");
    sb.run(&["check"])
        .ok()
        .stdout_has("0 error(s), 0 warning(s)");
}

#[test]
fn a_file_argument_checks_its_module_and_never_stops_at_the_first_bad_file() {
    let sb = Sandbox::new();
    sb.write("app/broken.tf", "terraform {\n  backend \"s3\" {\n");
    sb.write(
        "app/main.tf",
        "terraform {\n  backend \"s3\" {\n    bucket = \"Bad_Name\"\n    key = \"k\"\n  }\n}\n",
    );
    sb.write("other/main.tf", "terraform {\n  backend \"local\" {}\n}\n");
    let run = sb
        .run(&["check", "app/main.tf", "--format", "json"])
        .code(1);
    let rules = rules_in(&run.stdout);
    assert!(rules.contains(&"parse-error".to_string()), "{rules:?}");
    assert!(
        rules.contains(&"invalid-bucket-name".to_string()),
        "{rules:?}"
    );
    assert!(
        !rules.contains(&"local-backend".to_string()),
        "other modules are not checked"
    );
}

#[test]
fn suppression_comments() {
    let sb = Sandbox::new();
    sb.write(
        "main.tf",
        "terraform {\n  required_version = \">= 1.10\"\n\n  backend \"s3\" {\n    bucket       = \"acme-tfstate\"\n    key          = \"k\"\n    region       = \"eu-west-1\"\n    use_lockfile = true\n    encrypt      = false # tfboot:ignore encryption-disabled -- sandbox only\n  }\n}\n",
    );
    sb.run(&["check"])
        .ok()
        .stdout_has("0 error(s), 0 warning(s)");
}

#[test]
fn tfboots_own_output_checks_clean() {
    let (code, out) = run_check(&[
        "examples",
        "--deny-warnings",
        "--exclude",
        "examples/gcs/**",
        "--exclude",
        "examples/azure/**",
        "--exclude",
        "examples/consul/**",
        "--exclude",
        "examples/hcp/**",
    ]);
    assert_eq!(code, 0, "{out}");
    // The gcs, azure, consul and hcp examples' bootstrap modules have no .terraform.lock.hcl:
    // `terraform init` writes it, and no google, azurerm, consul or tfe provider can be
    // downloaded here. Every other rule must stay quiet.
    for example in [
        "examples/gcs",
        "examples/azure",
        "examples/consul",
        "examples/hcp",
    ] {
        let (code, out) = run_check(&[
            example,
            "--deny-warnings",
            "--ignore",
            "missing-dependency-lock",
        ]);
        assert_eq!(code, 0, "{example}: {out}");
    }
    for layout in ["dir", "tfbackend"] {
        for lock in ["dynamodb", "s3", "both"] {
            let sb = Sandbox::new();
            sb.write(
                "tfboot.toml",
                &format!("layout = \"{layout}\"\n[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\nlock = \"{lock}\"\n\n[[env]]\nname = \"dev\"\n\n[[env]]\nname = \"prod\"\nrole_arn = \"arn:aws:iam::111111111111:role/state\"\n"),
            );
            sb.run(&["generate"]).ok();
            let run = sb.run(&["check", "envs", "--deny-warnings"]);
            assert_eq!(run.code, 0, "{layout}/{lock}:\n{}", run.stdout);
        }
    }
}

#[test]
fn explain_lists_and_documents_rules() {
    let sb = Sandbox::new();
    let run = sb.run(&["explain"]).ok();
    for r in tfboot::check::rules::ALL {
        assert!(run.stdout.contains(r.id), "{} missing from the list", r.id);
        let doc = r.doc();
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
        ] {
            assert!(doc.contains(section), "{}: no {section}", r.id);
        }
    }
    sb.run(&["explain", "no-state-locking"])
        .ok()
        .stdout_has("## Why is this bad?");
    sb.run(&["explain", "no-such-rule"])
        .code(2)
        .stderr_has("invalid value 'no-such-rule'");
    sb.run(&["explain", "no-state-lockin"])
        .code(2)
        .stderr_has("a similar value exists: 'no-state-locking'");
}

/// The SARIF 2.1.0 JSON schema as published in the serde-sarif crate (a dev-dependency), found
/// through `cargo metadata`.
fn sarif_schema() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Only this platform's packages: others (wasm, windows) are never downloaded for a build.
    let host = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let host = host
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap_or("x86_64-unknown-linux-gnu")
        .to_string();
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("serde-sarif in the dependency graph")
        .to_string();
    let schema = Path::new(&manifest)
        .parent()
        .unwrap()
        .join("src/schema.json");
    serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap()
}

#[test]
fn sarif_output_validates_against_the_2_1_0_schema() {
    let schema = sarif_schema();
    assert!(schema["title"].as_str().unwrap().contains("2.1.0"));
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    // The validator really validates: a document with a wrong version or a result without a
    // message is rejected.
    let (_, sample) = run_check(&[
        "tests/fixtures/check/invalid-bucket-name/fires",
        "--format",
        "sarif",
    ]);
    let mut broken: serde_json::Value = serde_json::from_str(&sample).unwrap();
    broken["version"] = "9.9".into();
    assert!(!validator.is_valid(&broken));
    let mut broken: serde_json::Value = serde_json::from_str(&sample).unwrap();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!validator.is_valid(&broken));
    for fixture in [
        "invalid-bucket-name",
        "state-key-collision",
        "parse-error",
        "backend-in-module",
    ] {
        let (_, sarif) = run_check(&[
            &format!("tests/fixtures/check/{fixture}/fires"),
            "--format",
            "sarif",
        ]);
        let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{fixture}: {errors:#?}");
        // And it reads back as the typed SARIF object model.
        let typed: serde_sarif::sarif::Sarif = serde_json::from_value(v).expect("typed SARIF");
        assert_eq!(typed.runs.len(), 1);
    }
}

/// False alarms found on real repositories, one fixture per class (`tests/fixtures/precision/`):
/// what may fire there, and at which severity. Info never changes the exit code.
#[test]
fn no_false_alarms_on_configurations_terraform_accepts() {
    /// Fixture, the (rule, severity) pairs that may fire, the exit code.
    type Case = (&'static str, &'static [(&'static str, &'static str)], i32);
    let cases: &[Case] = &[
        // Partial configuration is any subset; init completes it.
        (
            "partial-subset",
            &[
                ("missing-region", "info"),
                ("missing-required-attribute", "info"),
            ],
            0,
        ),
        (
            "cloud-from-env",
            &[("missing-required-attribute", "info")],
            0,
        ),
        // S3-compatible store: region "main" with skip_region_validation, no AWS encryption advice.
        ("minio", &[], 0),
        // S3 encrypts new objects by default since 2023: `encrypt` is policy, not plain text.
        (
            "aws-default-encryption",
            &[("encryption-disabled", "info")],
            0,
        ),
        // Emulator placeholders with loopback endpoints, and an empty token.
        ("credentials", &[("hardcoded-credentials", "warning")], 0),
        // Same key, different workspace_key_prefix: only the default workspace is shared.
        ("prefix-collision", &[("state-key-collision", "warning")], 0),
        ("collision-group", &[("state-key-collision", "error")], 1),
        // Nested blocks are backend settings too.
        ("dynamic-nested", &[("dynamic-backend-value", "error")], 1),
        // `-backend-config` files under the names real repositories use.
        (
            "backend-hcl",
            &[
                ("encryption-disabled", "info"),
                ("missing-required-attribute", "error"),
                ("no-state-locking", "error"),
            ],
            1,
        ),
        ("orphan-gcs", &[("orphan-tfbackend", "warning")], 0),
        ("not-partial", &[], 0),
        // Placeholder addresses (templates, alternative variants) are no collision, and no
        // invalid bucket name either (`UPDATE_ME`, `UPDATE_PROJECTS_BACKEND`). and no
        // invalid bucket name either (`UPDATE_ME`, `UPDATE_PROJECTS_BACKEND`).
        ("placeholder-collision", &[], 0),
        // A file tfboot's parser cannot read but Terraform can, holding no backend settings.
        ("parser-limit", &[("parse-error", "warning")], 0),
        // Names Terraform ignores (not rejects) in a block completed by -backend-config.
        (
            "ignored-with-backend-config",
            &[
                ("removed-attribute", "warning"),
                ("unknown-attribute", "warning"),
            ],
            0,
        ),
        // A repeated object key is a warning, and hides none of the file's other findings.
        (
            "duplicate-key-hides-nothing",
            &[
                ("duplicate-object-key", "warning"),
                ("no-state-locking", "error"),
                ("unknown-region", "error"),
            ],
            1,
        ),
    ];
    for (dir, expected, code) in cases {
        let path = format!("tests/fixtures/precision/{dir}");
        let (got_code, json) = run_check(&[&path, "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut got: Vec<(String, String)> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["rule"].as_str().unwrap().to_string(),
                    d["severity"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        got.sort();
        got.dedup();
        let want: Vec<(String, String)> = expected
            .iter()
            .map(|(r, s)| (r.to_string(), s.to_string()))
            .collect();
        assert_eq!(got, want, "{dir}:\n{json}");
        assert_eq!(got_code, *code, "{dir}:\n{json}");
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("precision_{dir}"), run_check(&[&path]).1);
        });
        let (deny_code, _) = run_check(&[&path, "--deny-warnings"]);
        let warns = want.iter().any(|(_, s)| s == "warning" || s == "error");
        assert_eq!(deny_code, i32::from(warns), "{dir} with --deny-warnings");
        for d in v["diagnostics"].as_array().unwrap() {
            let m = d["message"].as_str().unwrap();
            let h = d["help"].as_str().unwrap_or_default();
            if *dir == "ignored-with-backend-config" {
                assert!(m.contains("ignores it"), "{m}");
            }
            if *dir == "orphan-gcs" {
                assert!(h.contains("backend \"gcs\""), "{h}");
            }
            if *dir == "cloud-from-env" || *dir == "dynamic-nested" {
                assert!(
                    !m.contains("-backend-config") && !h.contains("-backend-config"),
                    "{m} / {h}"
                );
            }
            // A group of 12 roots: one short message per root, the full list in `related`.
            if *dir == "collision-group" {
                assert!(m.len() < 400, "{m}");
                assert!(
                    m.contains("11 other backend(s)") && m.contains("and 8 more"),
                    "{m}"
                );
                assert_eq!(d["related"].as_array().unwrap().len(), 11);
            }
        }
    }
}

const DYNAMO_ROOT: &str = r#"terraform {
  required_version = ">= 1.10.0"

  backend "s3" {
    bucket         = "acme-tfstate"
    key            = "KEY"
    region         = "eu-west-1"
    encrypt        = true
    dynamodb_table = "acme-tfstate-lock"
  }
}
"#;

fn selection_repo() -> Sandbox {
    let sb = Sandbox::new();
    sb.write(".git/HEAD", "ref: refs/heads/main\n");
    sb.write(
        "live/app/main.tf",
        &DYNAMO_ROOT.replace("KEY", "app/terraform.tfstate"),
    );
    sb.write(
        "live/db/main.tf",
        &DYNAMO_ROOT.replace("KEY", "db/terraform.tfstate"),
    );
    sb.write(
        "live/web/main.tf",
        &DYNAMO_ROOT
            .replace("KEY", "web/terraform.tfstate")
            .replace("    region         = \"eu-west-1\"\n", "")
            .replace("encrypt        = true", "encrypt        = false"),
    );
    // Invalid on purpose, but excluded by the config.
    sb.write(
        "vendor/x/main.tf",
        "terraform {\n  backend \"s3\" {\n    bucket = \"Bad_Bucket\"\n    key = \"k\"\n  }\n}\n",
    );
    // A -backend-config file under a team's own name.
    sb.write("live/app/prod.backendconf", "region = \"eu-west-9\"\n");
    sb
}

fn findings(r: &crate::support::Run) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let mut out: Vec<(String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().into(),
                d["severity"].as_str().unwrap().into(),
            )
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn check_section_selects_rules_sets_severities_excludes_paths_and_names_the_engine() {
    let sb = selection_repo();
    let base = sb.run(&["check", "--format", "json", "live"]);
    assert!(findings(&base).contains(&("deprecated-dynamodb-lock".into(), "info".into())));
    assert!(findings(&base).contains(&("missing-region".into(), "info".into())));
    assert!(findings(&base).contains(&("encryption-disabled".into(), "info".into())));
    sb.write(
        "tfboot.toml",
        "[check]\nignore = [\"missing-region\"]\nseverity = { encryption-disabled = \"warning\" }\nexclude = [\"vendor/**\"]\npartial_config = [\"*.backendconf\"]\nengine = \"terraform\"\n",
    );
    // Run from a subdirectory: the repository's tfboot.toml is found above it.
    let r = sb.run_in("live", &["check", "--format", "json", "."]);
    let f = findings(&r);
    assert!(!f.iter().any(|(r, _)| r == "missing-region"), "{f:?}");
    assert!(
        f.contains(&("encryption-disabled".into(), "warning".into())),
        "{f:?}"
    );
    // engine = terraform: the deprecation is a warning now.
    assert!(
        f.contains(&("deprecated-dynamodb-lock".into(), "warning".into())),
        "{f:?}"
    );
    // The team's partial-config name is merged: its bad region is found.
    assert!(
        f.contains(&("unknown-region".into(), "error".into())),
        "{f:?}"
    );
    // vendor/ is excluded even when the whole repository is checked.
    let r = sb.run(&["check", "--format", "json", "."]);
    assert!(!r.stdout.contains("vendor/"), "{}", r.stdout);
    // Flags override: only one rule, another engine.
    let r = sb.run(&[
        "check",
        "--format",
        "json",
        "--select",
        "deprecated-dynamodb-lock",
        "--engine",
        "opentofu",
        ".",
    ]);
    assert_eq!(findings(&r), Vec::<(String, String)>::new(), "{}", r.stdout);
    let r = sb.run(&[
        "check",
        "--format",
        "json",
        "--select",
        "deprecated-dynamodb-lock,unknown-region",
        ".",
    ]);
    let rules: Vec<String> = findings(&r).into_iter().map(|(r, _)| r).collect();
    assert_eq!(
        rules,
        vec![
            "deprecated-dynamodb-lock".to_string(),
            "unknown-region".to_string()
        ]
    );
}

#[test]
fn unknown_rule_ids_are_exit_2_with_a_suggestion() {
    let sb = selection_repo();
    sb.write(
        "tfboot.toml",
        "[check]\nignore = [\"no-state-lockng\"]\nseverity = { encryption-disabled = \"loud\" }\n",
    );
    let r = sb.run(&["check", "."]).code(2);
    assert!(r.stderr.contains("tfboot.toml:2: check.ignore = \"no-state-lockng\": not a rule id (did you mean no-state-locking?)"), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "check.severity.encryption-disabled = \"loud\": a severity is error, warning or info"
        ),
        "{}",
        r.stderr
    );
    let r = sb.run(&[
        "check",
        "--ignore",
        "no-state-lockng",
        "--config",
        "/dev/null",
        ".",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no-state-locking"), "{}", r.stderr);
}
