//! Backend schemas (attribute and block names per backend type), read from Terraform's and
//! OpenTofu's source into `data/backend-schemas.json`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

fn names() -> &'static BTreeMap<String, Vec<String>> {
    static NAMES: OnceLock<BTreeMap<String, Vec<String>>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../../data/backend-schemas.json"))
                .unwrap_or_default();
        let mut out = BTreeMap::new();
        if let Some(backends) = doc.get("backends").and_then(|b| b.as_object()) {
            for (kind, b) in backends {
                let mut names: Vec<String> = Vec::new();
                for section in ["attributes", "blocks", "opentofu_attributes"] {
                    if let Some(o) = b.get(section).and_then(|v| v.as_object()) {
                        names.extend(o.keys().cloned());
                    }
                }
                if let Some(list) = b.get("opentofu_only").and_then(|v| v.as_array()) {
                    names.extend(list.iter().filter_map(|v| v.as_str().map(str::to_string)));
                }
                names.sort();
                names.dedup();
                out.insert(kind.clone(), names);
            }
        }
        out
    })
}

/// Every argument name the backend accepts (Terraform or OpenTofu), or `None` for an unknown type.
pub fn known_names(kind: &str) -> Option<&'static Vec<String>> {
    names().get(kind)
}

/// Every backend type the schemas know.
pub fn kinds() -> impl Iterator<Item = &'static str> {
    names().keys().map(String::as_str)
}

/// Whether backend type `kind` takes every one of `names` as an argument.
pub fn accepts_all(kind: &str, names: &[&str]) -> bool {
    known_names(kind).is_some_and(|known| names.iter().all(|n| known.iter().any(|k| k == n)))
}

/// The argument names of a real nested block of a backend (`workspaces` of `cloud` and `remote`),
/// or `None` when the backend has no such block.
pub fn nested_names(kind: &str, block: &str) -> Option<&'static Vec<String>> {
    static NESTED: OnceLock<BTreeMap<(String, String), Vec<String>>> = OnceLock::new();
    NESTED
        .get_or_init(|| {
            let doc: serde_json::Value =
                serde_json::from_str(include_str!("../../../data/backend-schemas.json"))
                    .unwrap_or_default();
            let mut out = BTreeMap::new();
            if let Some(backends) = doc.get("backends").and_then(|b| b.as_object()) {
                for (k, b) in backends {
                    let Some(blocks) = b.get("blocks").and_then(|v| v.as_object()) else {
                        continue;
                    };
                    for (name, spec) in blocks {
                        if spec.get("kind").and_then(|v| v.as_str()) != Some("block") {
                            continue;
                        }
                        let mut names: Vec<String> = spec
                            .get("attributes")
                            .and_then(|a| a.as_object())
                            .map(|a| a.keys().cloned().collect())
                            .unwrap_or_default();
                        names.sort();
                        out.insert((k.clone(), name.clone()), names);
                    }
                }
            }
            out
        })
        .get(&(kind.to_string(), block.to_string()))
}
