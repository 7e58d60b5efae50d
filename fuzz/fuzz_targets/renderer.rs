//! Arbitrary strings in every string field: whatever passes validation renders to HCL that parses
//! back and carries exactly the same strings, for the s3 and the gcs backend.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tfboot::backend::{gcs, s3, EnvOptions, StoreInput};
use tfboot::model::{EnvInput, Layout, LockMode, ProjectInput, Sourced};

#[derive(Debug, Arbitrary)]
struct Input {
    gcs: bool,
    bootstrap_key: String,
    env_name: String,
    env_key: String,
    workspace_key_prefix: Option<String>,
    tags: Vec<(String, String)>,
    lock: u8,
}

fn literal(body: &hcl::Body, path: &[&str], attr: &str) -> Option<String> {
    let mut body = body;
    for ident in path {
        body = body.blocks().find(|b| b.identifier() == *ident)?.body();
    }
    match body.attributes().find(|a| a.key() == attr)?.expr() {
        hcl::Expression::String(s) => Some(s.clone()),
        _ => None,
    }
}

fuzz_target!(|input: Input| {
    let flag = |f: &str, v: &str| Sourced::flag(f, v);
    let pairs: Vec<(Sourced, Sourced)> =
        input.tags.iter().map(|(k, v)| (flag("k", k), flag("v", v))).collect();
    let (store, options, address) = if input.gcs {
        (
            StoreInput::Gcs(gcs::StoreInput {
                bucket: flag("--bucket", "acme-tfstate"),
                project: flag("--project", "acme-infra"),
                location: flag("--location", "EU"),
                encryption: Default::default(),
                encryption_field: "--encryption".into(),
                kms_key: None,
                labels: pairs,
                unmanaged: Vec::new(),
            }),
            EnvOptions::None,
            "prefix",
        )
    } else {
        (
            StoreInput::S3(s3::StoreInput {
                bucket: flag("--bucket", "acme-tfstate"),
                region: flag("--region", "eu-west-1"),
                lock: [LockMode::Dynamodb, LockMode::S3, LockMode::Both][usize::from(input.lock % 3)],
                lock_table: None,
                encryption: Default::default(),
                encryption_field: "--encryption".into(),
                kms_key_arn: None,
                tags: pairs,
                unmanaged: Vec::new(),
            }),
            EnvOptions::S3(s3::EnvOptions {
                role_arn: None,
                workspace_key_prefix: input.workspace_key_prefix.as_deref().map(|p| flag("wkp", p)),
                tags: Vec::new(),
            }),
            "key",
        )
    };
    let project = ProjectInput {
        store,
        bootstrap_dir: None,
        bootstrap_key: Some(flag("--key", &input.bootstrap_key)),
        envs: vec![EnvInput {
            name: flag("name", &input.env_name),
            dir: None,
            key: Some(flag("key", &input.env_key)),
            options,
        }],
        layout: Layout::Dir,
        discover: None,
    }
    .build();
    let Ok(project) = project else { return };
    let files = tfboot::render::bootstrap_module(&project, "x").expect("renders");
    let backend = files.iter().find(|f| f.path.ends_with("backend.tf")).expect("backend.tf");
    let body = hcl::parse(&backend.body).expect("parses");
    assert_eq!(literal(&body, &["terraform", "backend"], address).as_deref(), Some(input.bootstrap_key.as_str()));
    for f in &files {
        if f.kind == tfboot::render::FileKind::Hcl {
            hcl::parse(&f.body).expect("every HCL file parses");
        }
    }

    let env = &project.envs[0];
    let target = tfboot::render::BackendTarget {
        what: format!("env {}", env.name),
        dir: env.dir.to_string_lossy().into_owned(),
        tfbackend_name: None,
        address: env.key.clone(),
        block: project.env_backend(env),
    };
    let rendered = tfboot::render::backend_files(&project.store, &[target], &[]).expect("renders");
    let body = hcl::parse(&rendered[0].body).expect("parses");
    assert_eq!(literal(&body, &["terraform", "backend"], address).as_deref(), Some(input.env_key.as_str()));
    if let (false, Some(p)) = (input.gcs, &input.workspace_key_prefix) {
        assert_eq!(literal(&body, &["terraform", "backend"], "workspace_key_prefix").as_deref(), Some(p.as_str()));
    }
});
