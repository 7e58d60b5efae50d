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
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let templates = tfboot::templates::Templates::builtin().unwrap();
        let first = tfboot::generate::plan_all(root, &project, "x", false, &templates).unwrap();
        first.plan.execute().unwrap();
        let second = tfboot::generate::plan_all(root, &project, "x", false, &templates).unwrap();
        prop_assert!(second.plan.files.iter().all(|f| f.action == tfboot::write::Action::Unchanged));
        prop_assert!(second.stale.is_empty());

        // As after `terraform init`: the bootstrap module has its dependency lock.
        std::fs::write(root.join("bootstrap/.terraform.lock.hcl"), LOCK_FILE).unwrap();
        let result = tfboot::check::check_paths(&[root.to_path_buf()]).unwrap();
        // The override's local backend is by design (suppressed with a reason); nothing else but
        // advice (`info`: the DynamoDB lock that Terraform 1.11 deprecates, for lock = dynamodb).
        let findings: Vec<_> = result
            .diagnostics
            .iter()
            .filter(|d| d.severity != tfboot::check::Severity::Info)
            .collect();
        prop_assert!(findings.is_empty(), "{:#?}", findings);
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
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let templates = tfboot::templates::Templates::builtin().unwrap();
        let first = tfboot::generate::plan_all(root, &project, "x", false, &templates).unwrap();
        first.plan.execute().unwrap();
        let second = tfboot::generate::plan_all(root, &project, "x", false, &templates).unwrap();
        prop_assert!(second.plan.files.iter().all(|f| f.action == tfboot::write::Action::Unchanged));
        prop_assert!(second.stale.is_empty());
        std::fs::write(root.join("bootstrap/.terraform.lock.hcl"), GOOGLE_LOCK_FILE).unwrap();
        let result = tfboot::check::check_paths(&[root.to_path_buf()]).unwrap();
        let findings: Vec<_> = result
            .diagnostics
            .iter()
            .filter(|d| d.severity != tfboot::check::Severity::Info)
            .collect();
        prop_assert!(findings.is_empty(), "{:#?}", findings);
    }
}
