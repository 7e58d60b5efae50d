//! Properties over arbitrary valid configurations: `generate` twice writes nothing the second time,
//! and `check` finds nothing in what `generate` wrote.

use proptest::prelude::*;
use tfboot::backend::{s3, EnvOptions, StoreInput};
use tfboot::model::{EnvInput, Layout, LockMode, ProjectInput, Sourced};

fn project_input(
    envs: &[(String, Option<String>, bool)],
    lock: LockMode,
    layout: Layout,
) -> ProjectInput {
    ProjectInput {
        store: StoreInput::S3(s3::StoreInput {
            bucket: Sourced::flag("--bucket", "acme-tfstate"),
            region: Sourced::flag("--region", "eu-west-1"),
            lock,
            lock_table: None,
            encryption: Default::default(),
            encryption_field: "--encryption".into(),
            kms_key_arn: None,
            tags: vec![(Sourced::flag("k", "team"), Sourced::flag("v", "platform"))],
            unmanaged: Vec::new(),
        }),
        bootstrap_dir: None,
        bootstrap_key: None,
        envs: envs
            .iter()
            .map(|(name, key, role)| EnvInput {
                name: Sourced::flag("name", name.clone()),
                dir: None,
                key: key.clone().map(|k| Sourced::flag("key", k)),
                options: EnvOptions::S3(s3::EnvOptions {
                    role_arn: role
                        .then(|| Sourced::flag("role", "arn:aws:iam::111111111111:role/state")),
                    workspace_key_prefix: None,
                    tags: Vec::new(),
                }),
            })
            .collect(),
        layout,
        discover: None,
    }
}

fn envs() -> impl Strategy<Value = Vec<(String, Option<String>, bool)>> {
    proptest::collection::btree_map(
        "[a-z][a-z0-9_-]{0,11}",
        (
            proptest::option::of("[a-z0-9][a-z0-9/._${}%\"é-]{0,20}[a-z0-9]"),
            any::<bool>(),
        ),
        0..5,
    )
    .prop_map(|m| m.into_iter().map(|(n, (k, r))| (n, k, r)).collect())
}

fn lock() -> impl Strategy<Value = LockMode> {
    prop_oneof![
        Just(LockMode::Dynamodb),
        Just(LockMode::S3),
        Just(LockMode::Both)
    ]
}

fn layout() -> impl Strategy<Value = Layout> {
    prop_oneof![Just(Layout::Dir), Just(Layout::Tfbackend)]
}

const LOCK_FILE: &str = "provider \"registry.terraform.io/hashicorp/aws\" {\n  version     = \"5.100.0\"\n  constraints = \">= 5.100.0, < 7.0.0\"\n}\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn generate_twice_writes_nothing_and_check_finds_nothing(envs in envs(), lock in lock(), layout in layout()) {
        let Ok(project) = project_input(&envs, lock, layout).build() else {
            // Keys that collide or break a rule are rejected up front: nothing to generate.
            return Ok(());
        };
        // As after `terraform init`: the bootstrap module has its dependency lock. Beyond the
        // override's local backend (suppressed with a reason) only advice (`info`) may remain.
        generate_twice_then_check(&project, LOCK_FILE)?;
    }
}

fn gcs_input(envs: &[(String, Option<String>, bool)], layout: Layout) -> ProjectInput {
    ProjectInput {
        store: StoreInput::Gcs(tfboot::backend::gcs::StoreInput {
            bucket: Sourced::flag("--bucket", "acme-tfstate"),
            project: Sourced::flag("--project", "acme-infra"),
            location: Sourced::flag("--location", "EU"),
            encryption: Default::default(),
            encryption_field: "--encryption".into(),
            kms_key: None,
            labels: vec![(Sourced::flag("k", "team"), Sourced::flag("v", "platform"))],
            unmanaged: Vec::new(),
        }),
        bootstrap_dir: None,
        bootstrap_key: None,
        envs: envs
            .iter()
            .map(|(name, prefix, _)| EnvInput {
                name: Sourced::flag("name", name.clone()),
                dir: None,
                key: prefix.clone().map(|p| Sourced::flag("prefix", p)),
                options: EnvOptions::None,
            })
            .collect(),
        layout,
        discover: None,
    }
}

const GOOGLE_LOCK_FILE: &str = "provider \"registry.terraform.io/hashicorp/google\" {\n  version     = \"8.7.0\"\n  constraints = \">= 7.0.0, < 9.0.0\"\n}\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn gcs_generate_twice_writes_nothing_and_check_finds_nothing(envs in envs(), layout in layout()) {
        let Ok(project) = gcs_input(&envs, layout).build() else {
            return Ok(());
        };
        generate_twice_then_check(&project, GOOGLE_LOCK_FILE)?;
    }
}

fn consul_input(envs: &[(String, Option<String>, bool)], layout: Layout) -> ProjectInput {
    // A prefix with quotes and template markers: every file it reaches must escape it.
    let prefix = "tf\"state/${x}";
    ProjectInput {
        store: StoreInput::Consul(tfboot::backend::consul::StoreInput {
            address: Sourced::flag("--address", "consul.internal:8501"),
            scheme: Default::default(),
            scheme_at: None,
            path_prefix: Sourced::flag("--path-prefix", prefix),
            datacenter: Some(Sourced::flag("--datacenter", "dc1")),
            gzip: Some(true),
        }),
        bootstrap_dir: None,
        bootstrap_key: Some(Sourced::flag("--path", "tfstate-bootstrap/acme")),
        envs: envs
            .iter()
            .map(|(name, path, _)| EnvInput {
                name: Sourced::flag("name", name.clone()),
                dir: None,
                key: path
                    .clone()
                    .map(|p| Sourced::flag("path", format!("{prefix}/{p}"))),
                options: EnvOptions::None,
            })
            .collect(),
        layout,
        discover: None,
    }
}

fn cloud_input(envs: &[(String, Option<String>, bool)]) -> ProjectInput {
    ProjectInput {
        store: StoreInput::Cloud(tfboot::backend::cloud::StoreInput {
            organization: Sourced::flag("--organization", "acme"),
            hostname: None,
            project: Some(Sourced::flag("--project", "Platform infra")),
            workspace_prefix: None,
            execution_mode: Default::default(),
            terraform_version: None,
            team: Some(Sourced::flag("--team", "platform")),
            tfbackend_layout: None,
        }),
        bootstrap_dir: None,
        bootstrap_key: None,
        envs: envs
            .iter()
            .map(|(name, ws, by_tags)| EnvInput {
                name: Sourced::flag("name", name.clone()),
                dir: None,
                key: ws
                    .clone()
                    .filter(|_| !by_tags)
                    .map(|w| Sourced::flag("workspace", w)),
                options: EnvOptions::Cloud(tfboot::backend::cloud::EnvOptions {
                    tags: if *by_tags {
                        vec![
                            Sourced::flag("tags", name.clone()),
                            Sourced::flag("tags", "app"),
                        ]
                    } else {
                        Vec::new()
                    },
                }),
            })
            .collect(),
        layout: Layout::Dir,
        discover: None,
    }
}

fn generate_twice_then_check(
    project: &tfboot::model::Project,
    lock: &str,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let templates = tfboot::templates::Templates::builtin().unwrap();
    let first = tfboot::generate::plan_all(root, project, "x", false, &templates).unwrap();
    first.plan.execute().unwrap();
    let second = tfboot::generate::plan_all(root, project, "x", false, &templates).unwrap();
    prop_assert!(second
        .plan
        .files
        .iter()
        .all(|f| f.action == tfboot::write::Action::Unchanged));
    prop_assert!(second.stale.is_empty());
    std::fs::write(root.join("bootstrap/.terraform.lock.hcl"), lock).unwrap();
    let result = tfboot::check::check_paths(&[root.to_path_buf()]).unwrap();
    let findings: Vec<_> = result
        .diagnostics
        .iter()
        .filter(|d| d.severity != tfboot::check::Severity::Info)
        .collect();
    prop_assert!(findings.is_empty(), "{:#?}", findings);
    Ok(())
}

const CONSUL_LOCK_FILE: &str = "provider \"registry.terraform.io/hashicorp/consul\" {\n  version     = \"2.22.1\"\n  constraints = \">= 2.20.0, < 3.0.0\"\n}\n";
const TFE_LOCK_FILE: &str = "provider \"registry.terraform.io/hashicorp/tfe\" {\n  version     = \"0.71.0\"\n  constraints = \">= 0.60.0, < 1.0.0\"\n}\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn consul_generate_twice_writes_nothing_and_check_finds_nothing(envs in envs(), layout in layout()) {
        let Ok(project) = consul_input(&envs, layout).build() else {
            return Ok(());
        };
        generate_twice_then_check(&project, CONSUL_LOCK_FILE)?;
    }

    #[test]
    fn cloud_generate_twice_writes_nothing_and_check_finds_nothing(envs in envs()) {
        let Ok(project) = cloud_input(&envs).build() else {
            return Ok(());
        };
        generate_twice_then_check(&project, TFE_LOCK_FILE)?;
    }
}

#[test]
fn the_property_inputs_are_valid_without_envs() {
    // Otherwise the properties above would hold vacuously.
    assert!(consul_input(&[], Layout::Dir).build().is_ok());
    assert!(cloud_input(&[]).build().is_ok());
    let one = [
        ("dev".to_string(), None, true),
        ("prod".to_string(), None, false),
    ];
    assert!(consul_input(&one, Layout::Tfbackend).build().is_ok());
    assert!(cloud_input(&one).build().is_ok());
}
