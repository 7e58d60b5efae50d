//! The bootstrap module as rendered: snapshots per lock × encryption, parse-back, `terraform fmt`
//! canonical form, and exact round trips of hostile strings.

use std::collections::BTreeMap;

use proptest::prelude::*;
use tfboot::backend::{s3, StoreInput};
use tfboot::model::{Encryption, LockMode, Project, ProjectInput, Sourced};
use tfboot::render::{self, FileKind, RenderedFile};
use tfboot::write::with_marker;

use crate::support::{assert_terraform_fmt_clean, terraform, KMS_ARN};

fn input(bucket: &str, lock: LockMode, enc: Encryption, kms: Option<&str>) -> ProjectInput {
    ProjectInput {
        store: StoreInput::S3(s3::StoreInput {
            bucket: Sourced::flag("--bucket", bucket),
            region: Sourced::flag("--region", "eu-west-1"),
            lock,
            lock_table: None,
            encryption: enc,
            encryption_field: "--encryption".into(),
            kms_key_arn: kms.map(|k| Sourced::flag("--kms-key-arn", k)),
            tags: vec![(Sourced::flag("k", "team"), Sourced::flag("v", "platform"))],
            unmanaged: Vec::new(),
        }),
        bootstrap_dir: None,
        bootstrap_key: None,
        envs: Vec::new(),
        layout: Default::default(),
        discover: None,
    }
}

fn set_tags(input: &mut ProjectInput, tags: Vec<(Sourced, Sourced)>) {
    if let StoreInput::S3(s) = &mut input.store {
        s.tags = tags;
    }
}

fn render_files(p: &Project) -> Vec<RenderedFile> {
    render::bootstrap_module(p, "tfboot bootstrap --apply").expect("render")
}

const COMBOS: &[(LockMode, Encryption, bool, &str)] = &[
    (LockMode::Dynamodb, Encryption::Kms, false, "dynamodb_kms"),
    (
        LockMode::Dynamodb,
        Encryption::Aes256,
        false,
        "dynamodb_aes256",
    ),
    (
        LockMode::Dynamodb,
        Encryption::Kms,
        true,
        "dynamodb_kms_existing_key",
    ),
    (LockMode::S3, Encryption::Kms, false, "s3_kms"),
    (LockMode::S3, Encryption::Aes256, false, "s3_aes256"),
    (LockMode::S3, Encryption::Kms, true, "s3_kms_existing_key"),
    (LockMode::Both, Encryption::Kms, false, "both_kms"),
    (LockMode::Both, Encryption::Aes256, false, "both_aes256"),
    (
        LockMode::Both,
        Encryption::Kms,
        true,
        "both_kms_existing_key",
    ),
];

fn project(lock: LockMode, enc: Encryption, existing: bool) -> Project {
    input("acme-tfstate", lock, enc, existing.then_some(KMS_ARN))
        .build()
        .expect("valid")
}

#[test]
fn snapshots_per_lock_and_encryption() {
    for (lock, enc, existing, name) in COMBOS {
        let files = render_files(&project(*lock, *enc, *existing));
        let mut all = String::new();
        for f in &files {
            all.push_str(&format!("===== {} =====\n", f.path.display()));
            all.push_str(&with_marker(f.kind, &f.body));
        }
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("bootstrap_{name}"), all);
        });
    }
}

#[test]
fn every_tf_file_parses_back() {
    for (lock, enc, existing, name) in COMBOS {
        for f in render_files(&project(*lock, *enc, *existing)) {
            if f.kind == FileKind::Hcl {
                let content = with_marker(f.kind, &f.body);
                hcl::parse(&content)
                    .unwrap_or_else(|e| panic!("{name}: {} does not parse: {e}", f.path.display()));
            }
        }
    }
}

#[test]
fn lock_mode_decides_resources_and_backend() {
    let files = |lock| render_files(&project(lock, Encryption::Kms, false));
    let has = |fs: &[RenderedFile], n: &str| fs.iter().any(|f| f.path.ends_with(n));
    let backend = |fs: &[RenderedFile]| {
        fs.iter()
            .find(|f| f.path.ends_with("backend.tf"))
            .expect("backend.tf")
            .body
            .clone()
    };
    let d = files(LockMode::Dynamodb);
    assert!(has(&d, "dynamodb.tf"));
    assert!(backend(&d).contains("dynamodb_table = \"acme-tfstate-lock\""));
    assert!(!backend(&d).contains("use_lockfile"));
    let s = files(LockMode::S3);
    assert!(!has(&s, "dynamodb.tf"));
    assert!(backend(&s).contains("use_lockfile = true"));
    assert!(!backend(&s).contains("dynamodb_table"));
    let b = files(LockMode::Both);
    assert!(
        backend(&b).contains("use_lockfile   = true") && backend(&b).contains("dynamodb_table")
    );
    // KMS: the backend must carry kms_key_id, or Terraform stores state SSE-S3.
    assert!(backend(&d).contains("kms_key_id     = \"alias/acme-tfstate\""));
    let aes = render_files(&project(LockMode::Dynamodb, Encryption::Aes256, false));
    assert!(!backend(&aes).contains("kms_key_id"));
    let existing = render_files(&project(LockMode::S3, Encryption::Kms, true));
    assert!(backend(&existing).contains(KMS_ARN));
    assert!(!has(&existing, "kms.tf"));
}

/// Write every combination (plus hostile strings) to disk and let `terraform fmt -check` judge.
#[test]
fn terraform_fmt_accepts_every_file() {
    let Some(tf) = terraform() else {
        eprintln!("SKIPPED terraform_fmt_accepts_every_file: no terraform on PATH");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let mut projects: Vec<(String, Project)> = COMBOS
        .iter()
        .map(|(l, e, x, n)| (n.to_string(), project(*l, *e, *x)))
        .collect();
    let mut hostile = input("acme-tfstate", LockMode::Both, Encryption::Kms, None);
    hostile.bootstrap_key = Some(Sourced::flag(
        "--key",
        "a/${x}/%{y}/\"q\"/back\\slash/ünï/日本",
    ));
    set_tags(
        &mut hostile,
        vec![
            (
                Sourced::flag("k", "kostenstelle büro"),
                Sourced::flag("v", "é 1"),
            ),
            (Sourced::flag("k", "a:b/c=d+e-f@g"), Sourced::flag("v", "")),
            (Sourced::flag("k", "日本"), Sourced::flag("v", "x")),
        ],
    );
    projects.push(("hostile".into(), hostile.build().expect("valid")));
    for (name, p) in &projects {
        for f in render_files(p) {
            if f.kind != FileKind::Hcl {
                continue;
            }
            let path = dir.path().join(name).join(&f.path);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, with_marker(f.kind, &f.body)).expect("write");
        }
    }
    assert_terraform_fmt_clean(&tf, dir.path());
}

fn block<'a>(body: &'a hcl::Body, ident: &str) -> &'a hcl::Block {
    body.blocks()
        .find(|b| b.identifier() == ident)
        .unwrap_or_else(|| panic!("no {ident} block"))
}

fn string_attr(body: &hcl::Body, key: &str) -> String {
    match body.attributes().find(|a| a.key() == key).map(|a| a.expr()) {
        Some(hcl::Expression::String(s)) => s.clone(),
        other => panic!("{key} is not a literal string: {other:?}"),
    }
}

fn parsed(files: &[RenderedFile], name: &str) -> hcl::Body {
    let f = files.iter().find(|f| f.path.ends_with(name)).expect("file");
    hcl::parse(&with_marker(f.kind, &f.body)).expect("parses")
}

fn object_keys(obj: &hcl::Object<hcl::ObjectKey, hcl::Expression>) -> BTreeMap<String, String> {
    obj.iter()
        .map(|(k, v)| {
            let k = match k {
                hcl::ObjectKey::Identifier(i) => i.to_string(),
                hcl::ObjectKey::Expression(hcl::Expression::String(s)) => s.clone(),
                other => panic!("odd key {other:?}"),
            };
            let v = match v {
                hcl::Expression::String(s) => s.clone(),
                other => panic!("not a literal: {other:?}"),
            };
            (k, v)
        })
        .collect()
}

fn tag_text() -> impl Strategy<Value = String> {
    // Letters (any script), digits, spaces and the punctuation AWS allows in tags.
    proptest::collection::vec(
        prop_oneof![
            proptest::char::range('a', 'z'),
            proptest::char::range('A', 'Z'),
            proptest::char::range('0', '9'),
            Just(' '),
            prop::sample::select(vec![
                '_', '.', ':', '/', '=', '+', '-', '@', 'é', 'ß', 'ü', '日', 'Ж'
            ]),
        ],
        1..30,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn state_key() -> impl Strategy<Value = String> {
    // Anything printable, including HCL's special characters, split into non-empty segments.
    proptest::collection::vec("[^/\\p{Cc}]{1,12}", 1..4).prop_map(|segs| segs.join("/"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn strings_round_trip_exactly(key in state_key(), tags in proptest::collection::btree_map(tag_text(), tag_text(), 0..5)) {
        let tags: BTreeMap<String, String> = tags
            .into_iter()
            .filter(|(k, _)| tfboot::backend::s3::validate::tag_key(k).is_ok())
            .collect();
        let mut inp = input("acme-tfstate", LockMode::Both, Encryption::Kms, None);
        inp.bootstrap_key = Some(Sourced::flag("--key", key.clone()));
        set_tags(&mut inp, tags.iter().map(|(k, v)| (Sourced::flag("k", k.clone()), Sourced::flag("v", v.clone()))).collect());
        let p = inp.build().expect("valid input");
        let files = render_files(&p);

        let backend_body = parsed(&files, "backend.tf");
        let backend = block(block(&backend_body, "terraform").body(), "backend");
        prop_assert_eq!(string_attr(backend.body(), "key"), key);

        let versions = parsed(&files, "versions.tf");
        let provider = block(&versions, "provider");
        if tags.is_empty() {
            prop_assert!(provider.body().blocks().next().is_none());
        } else {
            let dt = block(provider.body(), "default_tags");
            match dt.body().attributes().find(|a| a.key() == "tags").map(|a| a.expr()) {
                Some(hcl::Expression::Object(o)) => prop_assert_eq!(object_keys(o), tags),
                other => panic!("tags: {other:?}"),
            }
        }
    }
}
