//! `tfboot iam-policy`: the least-privilege IAM policy for the principals that run Terraform
//! against one state in an S3 store, derived from what Terraform's S3 backend calls:
//!
//! - every operation lists the workspaces first: ListObjectsV2 with `Prefix =
//!   "<workspace_key_prefix>/"` (`s3:ListBucket`, narrowed with `s3:prefix`);
//! - the state: GetObject / PutObject at `<key>`, and at `<prefix>/<workspace>/<key>` for the other
//!   workspaces, whose `terraform workspace delete` also needs DeleteObject (the default
//!   workspace's state is never deleted);
//! - `use_lockfile`: PutObject (If-None-Match), GetObject and DeleteObject of `<state>.tflock`;
//! - `dynamodb_table`: PutItem / GetItem / DeleteItem of the lock item `<bucket>/<state>` and the
//!   digest item `<bucket>/<state>-md5` (`dynamodb:LeadingKeys`), DescribeTable as Terraform's
//!   documentation lists it;
//! - `kms_key_id`: GenerateDataKey for uploads, Decrypt for downloads (and the lock table's
//!   customer-managed key), Encrypt as Terraform's documentation lists it.

use serde::Serialize;

use crate::backend::s3::{Store, StoreEncryption};
use crate::render::quote_hcl;

/// One state the policy grants access to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateAccess {
    /// The env name or root directory, for the HCL data source's name.
    pub name: String,
    pub key: String,
    /// `env:` unless the backend sets `workspace_key_prefix`.
    pub workspace_key_prefix: String,
}

/// A resource as the policy names it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Res {
    Arn(String),
    /// The key behind a KMS alias: in JSON any key of the region carrying the alias (the
    /// `kms:ResourceAliases` condition); in HCL the key ARN the alias resolves to.
    KeyOfAlias {
        alias: String,
        any_key: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    test: &'static str,
    variable: &'static str,
    values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    sid: &'static str,
    actions: Vec<&'static str>,
    resources: Vec<Res>,
    condition: Option<Condition>,
}

/// A literal part of an ARN or condition value: `*`, `?` and `$` written as the IAM policy
/// variables that stand for them, so a key holding them matches only itself.
fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '*' => out.push_str("${*}"),
            '?' => out.push_str("${?}"),
            '$' => out.push_str("${$}"),
            c => out.push(c),
        }
    }
    out
}

fn partition(region: &str) -> &'static str {
    crate::backend::s3::validate::partition_of(region).unwrap_or("aws")
}

/// The object keys of a state: the default workspace's, then the pattern of the others'.
fn state_paths(s: &StateAccess) -> (String, String) {
    (
        literal(&s.key),
        format!("{}/*/{}", literal(&s.workspace_key_prefix), literal(&s.key)),
    )
}

fn statements(store: &Store, s: &StateAccess) -> Vec<Statement> {
    let p = partition(&store.region);
    let bucket_arn = format!("arn:{p}:s3:::{}", literal(&store.bucket));
    let (default_path, ws_path) = state_paths(s);
    let object = |path: &str| Res::Arn(format!("{bucket_arn}/{path}"));
    let mut out = vec![
        Statement {
            sid: "ListWorkspaces",
            actions: vec!["s3:ListBucket"],
            resources: vec![Res::Arn(bucket_arn.clone())],
            condition: Some(Condition {
                test: "StringEquals",
                variable: "s3:prefix",
                values: vec![
                    format!("{}/", literal(&s.workspace_key_prefix)),
                    literal(&s.key),
                ],
            }),
        },
        Statement {
            sid: "ReadWriteState",
            actions: vec!["s3:GetObject", "s3:PutObject"],
            resources: vec![object(&default_path), object(&ws_path)],
            condition: None,
        },
        Statement {
            sid: "DeleteWorkspaceState",
            actions: vec!["s3:DeleteObject"],
            resources: vec![object(&ws_path)],
            condition: None,
        },
    ];
    if store.lock.mode.uses_lockfile() {
        out.push(Statement {
            sid: "StateLockfile",
            actions: vec!["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            resources: vec![
                object(&format!("{default_path}.tflock")),
                object(&format!("{ws_path}.tflock")),
            ],
            condition: None,
        });
    }
    if let Some(table) = &store.lock.table {
        let table_arn = format!(
            "arn:{p}:dynamodb:{}:*:table/{}",
            literal(&store.region),
            literal(table)
        );
        out.push(Statement {
            sid: "DescribeLockTable",
            actions: vec!["dynamodb:DescribeTable"],
            resources: vec![Res::Arn(table_arn.clone())],
            condition: None,
        });
        let b = literal(&store.bucket);
        out.push(Statement {
            sid: "LockAndDigestItems",
            actions: vec![
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:DeleteItem",
            ],
            resources: vec![Res::Arn(table_arn)],
            condition: Some(Condition {
                test: "ForAllValues:StringLike",
                variable: "dynamodb:LeadingKeys",
                values: vec![
                    format!("{b}/{default_path}"),
                    format!("{b}/{default_path}-md5"),
                    format!("{b}/{ws_path}"),
                    format!("{b}/{ws_path}-md5"),
                ],
            }),
        });
    }
    let key = match &store.encryption {
        StoreEncryption::CreatedKey { alias } => Some(Res::KeyOfAlias {
            alias: alias.clone(),
            any_key: format!("arn:{p}:kms:{}:*:key/*", literal(&store.region)),
        }),
        StoreEncryption::ExistingKey { arn } => match arn.split_once(":alias/") {
            Some((head, alias)) => Some(Res::KeyOfAlias {
                alias: format!("alias/{alias}"),
                any_key: format!("{head}:key/*"),
            }),
            None => Some(Res::Arn(arn.clone())),
        },
        StoreEncryption::Aes256 => None,
    };
    if let Some(key) = key {
        out.push(Statement {
            sid: "StateKey",
            actions: vec!["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
            resources: vec![key],
            condition: None,
        });
    }
    out
}

/// An IAM policy document, serialized in the order IAM's console shows its fields.
#[derive(Debug, Serialize)]
pub struct JsonPolicy {
    #[serde(rename = "Version")]
    version: &'static str,
    #[serde(rename = "Statement")]
    statement: Vec<JsonStatement>,
}

#[derive(Debug, Serialize)]
struct JsonStatement {
    #[serde(rename = "Sid")]
    sid: &'static str,
    #[serde(rename = "Effect")]
    effect: &'static str,
    #[serde(rename = "Action")]
    action: Vec<&'static str>,
    #[serde(rename = "Resource")]
    resource: Vec<String>,
    #[serde(rename = "Condition", skip_serializing_if = "Option::is_none")]
    condition: Option<serde_json::Value>,
}

/// The policy document, as IAM takes it. `key_arn`: the ARN of the key a KMS alias names, when
/// the caller knows it (else the key is matched by its alias).
pub fn policy_json(store: &Store, s: &StateAccess, key_arn: Option<&str>) -> JsonPolicy {
    let statement = statements(store, s)
        .into_iter()
        .map(|st| {
            let mut conditions = serde_json::Map::new();
            let mut add = |test: &str, variable: &str, values: Vec<String>| {
                let entry = conditions
                    .entry(test.to_string())
                    .or_insert_with(|| serde_json::json!({}));
                if let Some(m) = entry.as_object_mut() {
                    m.insert(variable.to_string(), serde_json::json!(values));
                }
            };
            if let Some(c) = &st.condition {
                add(c.test, c.variable, c.values.clone());
            }
            let resource = st
                .resources
                .iter()
                .map(|r| match r {
                    Res::Arn(a) => a.clone(),
                    Res::KeyOfAlias { .. } if key_arn.is_some() => {
                        key_arn.unwrap_or_default().to_string()
                    }
                    Res::KeyOfAlias { alias, any_key } => {
                        add(
                            "ForAnyValue:StringEquals",
                            "kms:ResourceAliases",
                            vec![alias.clone()],
                        );
                        any_key.clone()
                    }
                })
                .collect();
            JsonStatement {
                sid: st.sid,
                effect: "Allow",
                action: st.actions,
                resource,
                condition: (!conditions.is_empty())
                    .then_some(serde_json::Value::Object(conditions)),
            }
        })
        .collect();
    JsonPolicy {
        version: "2012-10-17",
        statement,
    }
}

/// An HCL identifier for a state's name (`live/prod/app` → `live_prod_app`).
pub fn hcl_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

fn hcl_list(items: &[String], indent: &str) -> String {
    let one_line = format!("[{}]", items.join(", "));
    if one_line.len() + indent.len() <= 80 && !one_line.contains('\n') {
        return one_line;
    }
    let inner = format!("{indent}  ");
    let mut s = String::from("[\n");
    for i in items {
        s.push_str(&format!("{inner}{i},\n"));
    }
    s.push_str(indent);
    s.push(']');
    s
}

/// `aws_iam_policy_document` data sources, one per state (plus the KMS alias lookup they
/// share), as an HCL file formatted as `terraform fmt` writes it.
pub fn policy_hcl(
    store: &Store,
    states: &[StateAccess],
    key_arn: Option<&str>,
) -> crate::Result<String> {
    let mut src = String::new();
    let mut alias_data: Option<String> = None;
    for s in states {
        if !src.is_empty() {
            src.push('\n');
        }
        src.push_str(&format!(
            "# Least-privilege access to the state {} (s3://{}/{}), written by tfboot iam-policy.\n",
            s.name, store.bucket, s.key
        ));
        src.push_str(&format!(
            "data \"aws_iam_policy_document\" \"tfboot_state_{}\" {{\n",
            hcl_name(&s.name)
        ));
        for (i, st) in statements(store, s).iter().enumerate() {
            if i > 0 {
                src.push('\n');
            }
            src.push_str("  statement {\n");
            src.push_str(&format!("    sid = {}\n", quote_hcl(st.sid)));
            src.push_str("    effect = \"Allow\"\n");
            let actions: Vec<String> = st.actions.iter().map(|a| quote_hcl(a)).collect();
            src.push_str(&format!("    actions = {}\n", hcl_list(&actions, "    ")));
            let resources: Vec<String> = st
                .resources
                .iter()
                .map(|r| match r {
                    Res::Arn(a) => quote_hcl(a),
                    Res::KeyOfAlias { .. } if key_arn.is_some() => {
                        quote_hcl(key_arn.unwrap_or_default())
                    }
                    Res::KeyOfAlias { alias, .. } => {
                        alias_data = Some(alias.clone());
                        "data.aws_kms_alias.tfboot_state.target_key_arn".to_string()
                    }
                })
                .collect();
            src.push_str(&format!(
                "    resources = {}\n",
                hcl_list(&resources, "    ")
            ));
            if let Some(c) = &st.condition {
                let values: Vec<String> = c.values.iter().map(|v| quote_hcl(v)).collect();
                src.push_str("\n    condition {\n");
                src.push_str(&format!("      test = {}\n", quote_hcl(c.test)));
                src.push_str(&format!("      variable = {}\n", quote_hcl(c.variable)));
                src.push_str(&format!("      values = {}\n", hcl_list(&values, "      ")));
                src.push_str("    }\n");
            }
            src.push_str("  }\n");
        }
        src.push_str("}\n");
    }
    if let Some(alias) = alias_data {
        src.push_str(&format!(
            "\n# The key that encrypts the state, found by its alias.\ndata \"aws_kms_alias\" \"tfboot_state\" {{\n  name = {}\n}}\n",
            quote_hcl(&alias)
        ));
    }
    let formatted = crate::hclfmt::format(&src).map_err(|e| crate::Error::Template {
        template: "iam-policy".into(),
        message: format!("rendered HCL the formatter rejects: {e}"),
    })?;
    crate::render::check_hcl("iam-policy", &formatted)?;
    Ok(formatted)
}

/// A string literal of Google's Common Expression Language (IAM condition expressions).
fn cel_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn format_hcl(src: &str, what: &str) -> crate::Result<String> {
    let formatted = crate::hclfmt::format(src).map_err(|e| crate::Error::Template {
        template: what.into(),
        message: format!("rendered HCL the formatter rejects: {e}"),
    })?;
    crate::render::check_hcl(what, &formatted)?;
    Ok(formatted)
}

/// gcs: what the backend calls are `objects.list` on the bucket (the workspaces under the
/// prefix), and `objects.get`, `objects.create` and `objects.delete` of `<prefix>/<ws>.tfstate`
/// and `<prefix>/<ws>.tflock` (an overwrite needs delete too; the lock is created with
/// `ifGenerationMatch=0` and deleted on unlock). Listing is checked against the bucket, so an
/// object-prefix condition cannot narrow it: a custom role with `objects.list` alone is bound
/// without one, and a second custom role with the object permissions is bound with an IAM
/// condition on the state's prefix (uniform bucket-level access, which the bootstrap module
/// sets, is what makes IAM conditions apply).
pub fn gcs_hcl(
    store: &crate::backend::gcs::Store,
    states: &[StateAccess],
) -> crate::Result<String> {
    let b = &store.bucket;
    let mut src = format!(
        "# Least-privilege access to the gcs state store gs://{b}, written by tfboot iam-policy.\n# Listing is checked on the bucket, not on an object, so no prefix condition can narrow it:\n# one role lists object names only; the other reads, writes and locks the state objects, bound\n# with a condition on each state's prefix.\nresource \"google_project_iam_custom_role\" \"tfboot_state_list\" {{\n  project = {p}\n  role_id = \"tfbootStateList\"\n  title = \"Terraform state: list the objects of the state bucket\"\n  permissions = [\"storage.objects.list\"]\n}}\n\nresource \"google_project_iam_custom_role\" \"tfboot_state_objects\" {{\n  project = {p}\n  role_id = \"tfbootStateObjects\"\n  title = \"Terraform state: read, write and lock state objects\"\n  permissions = [\"storage.objects.create\", \"storage.objects.delete\", \"storage.objects.get\"]\n}}\n",
        p = quote_hcl(&store.project)
    );
    for s in states {
        let n = hcl_name(&s.name);
        let prefix = crate::backend::gcs::check::effective_prefix(&s.key);
        let object_prefix = format!("projects/_/buckets/{b}/objects/{prefix}/");
        let expression = format!("resource.name.startsWith({})", cel_string(&object_prefix));
        src.push_str(&format!(
            "\nvariable \"tfboot_state_member_{n}\" {{\n  description = {desc}\n  type = string\n}}\n\nresource \"google_storage_bucket_iam_member\" \"tfboot_state_list_{n}\" {{\n  bucket = {bq}\n  role = google_project_iam_custom_role.tfboot_state_list.name\n  member = var.tfboot_state_member_{n}\n}}\n\nresource \"google_storage_bucket_iam_member\" \"tfboot_state_{n}\" {{\n  bucket = {bq}\n  role = google_project_iam_custom_role.tfboot_state_objects.name\n  member = var.tfboot_state_member_{n}\n\n  condition {{\n    title = {title}\n    description = {cdesc}\n    expression = {expr}\n  }}\n}}\n",
            desc = quote_hcl(&format!(
                "Who runs Terraform against the state {} (gs://{b}/{prefix}): user:…, group:…, serviceAccount:… or principal://…",
                s.name
            )),
            bq = quote_hcl(b),
            title = quote_hcl(&format!("tfboot state {}", s.name).chars().take(100).collect::<String>()),
            cdesc = quote_hcl(&format!("The state and lock objects under {prefix}/")),
            expr = quote_hcl(&expression),
        ));
    }
    format_hcl(&src, "iam-policy (gcs)")
}

/// azurerm: the backend (with `use_azuread_auth`, as tfboot writes it) lists, reads, writes,
/// leases (the lock) and deletes blobs in the container: Storage Blob Data Contributor scoped to
/// that container, nothing on the account. Every state in the container is then reachable:
/// separate containers separate environments.
pub fn azure_hcl(
    store: &crate::backend::azurerm::Store,
    states: &[StateAccess],
) -> crate::Result<String> {
    let mut src = format!(
        "# Least-privilege access to the azurerm state container {c} of {a}, written by tfboot\n# iam-policy: Storage Blob Data Contributor on the container only (the backend lists, reads,\n# writes, leases and deletes its blobs). A role scoped to the container reaches every state in it.\ndata \"azurerm_storage_account\" \"tfboot_state\" {{\n  name = {aq}\n  resource_group_name = {rg}\n}}\n",
        c = store.container,
        a = store.storage_account,
        aq = quote_hcl(&store.storage_account),
        rg = quote_hcl(&store.resource_group),
    );
    for s in states {
        let n = hcl_name(&s.name);
        src.push_str(&format!(
            "\nvariable \"tfboot_state_principal_id_{n}\" {{\n  description = {desc}\n  type = string\n}}\n\nresource \"azurerm_role_assignment\" \"tfboot_state_{n}\" {{\n  scope = \"${{data.azurerm_storage_account.tfboot_state.id}}/blobServices/default/containers/{c}\"\n  role_definition_name = \"Storage Blob Data Contributor\"\n  principal_id = var.tfboot_state_principal_id_{n}\n}}\n",
            desc = quote_hcl(&format!(
                "Object ID of the user, group or service principal that runs Terraform against the state {} ({})",
                s.name, s.key
            )),
            c = crate::render::escape_hcl(&store.container),
        ));
    }
    format_hcl(&src, "iam-policy (azurerm)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::s3::{Lock, LockMode};

    fn store(mode: LockMode, encryption: StoreEncryption) -> Store {
        Store {
            bucket: "acme-tfstate".into(),
            region: "eu-west-1".into(),
            encryption,
            tags: Default::default(),
            lock: Lock {
                mode,
                table: mode.uses_table().then(|| "acme-tfstate-lock".to_string()),
            },
            unmanaged: Default::default(),
        }
    }

    fn json(store: &Store, s: &StateAccess) -> serde_json::Value {
        serde_json::to_value(policy_json(store, s, None)).unwrap()
    }

    fn dev() -> StateAccess {
        StateAccess {
            name: "dev".into(),
            key: "envs/dev/terraform.tfstate".into(),
            workspace_key_prefix: "env:".into(),
        }
    }

    #[test]
    fn lockfile_mode_has_no_table_and_deletes_only_lock_and_workspace_objects() {
        let p = json(&store(LockMode::S3, StoreEncryption::Aes256), &dev());
        let text = p.to_string();
        assert!(!text.contains("dynamodb"), "{text}");
        assert!(!text.contains("kms"), "{text}");
        let st = p["Statement"].as_array().unwrap();
        let deletes: Vec<&serde_json::Value> = st
            .iter()
            .filter(|s| {
                s["Action"]
                    .as_array()
                    .unwrap()
                    .contains(&"s3:DeleteObject".into())
            })
            .flat_map(|s| s["Resource"].as_array().unwrap())
            .collect();
        assert!(
            !deletes.contains(&&serde_json::json!(
                "arn:aws:s3:::acme-tfstate/envs/dev/terraform.tfstate"
            )),
            "the default workspace's state is never deleted: {deletes:?}"
        );
        assert!(deletes.contains(&&serde_json::json!(
            "arn:aws:s3:::acme-tfstate/envs/dev/terraform.tfstate.tflock"
        )));
        assert_eq!(
            st[0]["Condition"]["StringEquals"]["s3:prefix"],
            serde_json::json!(["env:/", "envs/dev/terraform.tfstate"])
        );
    }

    #[test]
    fn table_items_are_scoped_by_leading_keys_and_the_alias_key_by_its_alias() {
        let p = json(
            &store(
                LockMode::Dynamodb,
                StoreEncryption::CreatedKey {
                    alias: "alias/acme-tfstate".into(),
                },
            ),
            &dev(),
        );
        let st = p["Statement"].as_array().unwrap();
        let items = st
            .iter()
            .find(|s| s["Sid"] == "LockAndDigestItems")
            .unwrap();
        assert_eq!(
            items["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"][1],
            "acme-tfstate/envs/dev/terraform.tfstate-md5"
        );
        let key = st.iter().find(|s| s["Sid"] == "StateKey").unwrap();
        assert_eq!(key["Resource"][0], "arn:aws:kms:eu-west-1:*:key/*");
        assert_eq!(
            key["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"][0],
            "alias/acme-tfstate"
        );
        assert!(!p.to_string().contains(".tflock"));
    }

    #[test]
    fn wildcards_and_dollars_in_keys_are_literal() {
        let s = StateAccess {
            key: "a*b/$x?.tfstate".into(),
            ..dev()
        };
        let p = json(&store(LockMode::S3, StoreEncryption::Aes256), &s);
        assert_eq!(
            p["Statement"][1]["Resource"][0],
            "arn:aws:s3:::acme-tfstate/a${*}b/${$}x${?}.tfstate"
        );
        let hcl = policy_hcl(&store(LockMode::S3, StoreEncryption::Aes256), &[s], None).unwrap();
        assert!(hcl.contains("a$${*}b/$${$}x$${?}.tfstate"), "{hcl}");
    }

    #[test]
    fn china_and_govcloud_partitions() {
        let mut s = store(LockMode::Both, StoreEncryption::Aes256);
        s.region = "cn-north-1".into();
        let p = json(&s, &dev()).to_string();
        assert!(p.contains("arn:aws-cn:s3:::acme-tfstate"), "{p}");
        assert!(p.contains("arn:aws-cn:dynamodb:cn-north-1:*:table/acme-tfstate-lock"));
    }
}
