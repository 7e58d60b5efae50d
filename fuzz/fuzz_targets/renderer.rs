//! Arbitrary strings in every string field: whatever passes validation renders to HCL that parses
//! back and carries exactly the same strings.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tfboot::model::{EnvInput, Layout, LockMode, ProjectInput, Sourced};

#[derive(Debug, Arbitrary)]
struct Input {
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
    let project = ProjectInput {
        bucket: flag("--bucket", "acme-tfstate"),
        region: flag("--region", "eu-west-1"),
        lock: [LockMode::Dynamodb, LockMode::S3, LockMode::Both][usize::from(input.lock % 3)],
        lock_table: None,
        encryption: Default::default(),
        encryption_field: "--encryption".into(),
        kms_key_arn: None,
        bootstrap_dir: None,
        bootstrap_key: Some(flag("--key", &input.bootstrap_key)),
        tags: input.tags.iter().map(|(k, v)| (flag("k", k), flag("v", v))).collect(),
        envs: vec![EnvInput {
            name: flag("name", &input.env_name),
            dir: None,
            key: Some(flag("key", &input.env_key)),
            role_arn: None,
            workspace_key_prefix: input.workspace_key_prefix.as_deref().map(|p| flag("wkp", p)),
            tags: Vec::new(),
        }],
        layout: Layout::Dir,
        discover: None,
    }
    .build();
    let Ok(project) = project else { return };
    let files = tfboot::render::bootstrap_module(&project, "x").expect("renders");
    let backend = files.iter().find(|f| f.path.ends_with("backend.tf")).expect("backend.tf");
    let body = hcl::parse(&backend.body).expect("parses");
    assert_eq!(literal(&body, &["terraform", "backend"], "key").as_deref(), Some(input.bootstrap_key.as_str()));

    let env = &project.envs[0];
    let target = tfboot::render::BackendTarget {
        what: format!("env {}", env.name),
        dir: env.dir.to_string_lossy().into_owned(),
        tfbackend_name: None,
        block: project.env_backend(env),
    };
    let rendered = tfboot::render::backend_files(&[target], &[], project.lock.mode).expect("renders");
    let body = hcl::parse(&rendered[0].body).expect("parses");
    assert_eq!(literal(&body, &["terraform", "backend"], "key").as_deref(), Some(input.env_key.as_str()));
    if let Some(p) = &input.workspace_key_prefix {
        assert_eq!(literal(&body, &["terraform", "backend"], "workspace_key_prefix").as_deref(), Some(p.as_str()));
    }
});
