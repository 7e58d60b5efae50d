//! The azurerm backend through the CLI, as far as it goes so far: the bootstrap module with and
//! without a storage firewall, env backends per layout, config errors, validation, init and
//! bootstrap flags, and `--apply`'s check of the container before switching.

use crate::support::{assert_fmt_clean, fake_terraform, snapshot_of, Sandbox};

const STATE: &str =
    "[state]\nbackend = \"azurerm\"\nstorage_account = \"acmetfstate\"\nlocation = \"westeurope\"\n";

#[test]
fn bootstrap_module_with_and_without_a_firewall() {
    let modes: &[(&str, &[&str])] = &[
        ("microsoft", &[]),
        ("cmk", &["--encryption", "cmk"]),
        (
            "existing_key",
            &[
                "--encryption",
                "cmk",
                "--key-vault-key-id",
                "https://acme-kv.vault.azure.net/keys/state/0123abcd",
                "--key-vault-id",
                "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-security/providers/Microsoft.KeyVault/vaults/acme-kv",
            ],
        ),
        (
            "firewall",
            &[
                "--allowed-ip",
                "203.0.113.0/24",
                "--allowed-ip",
                "198.51.100.7",
                "--subscription-id",
                "00000000-1111-2222-3333-444444444444",
                "--tag",
                "team=platform",
                "--resource-group",
                "rg-platform-state",
                "--container",
                "state",
            ],
        ),
    ];
    for (name, extra) in modes {
        let sb = Sandbox::new();
        let mut args = vec![
            "bootstrap",
            "--backend",
            "azurerm",
            "--storage-account",
            "acmetfstate",
            "--location",
            "West Europe",
        ];
        args.extend(extra.iter().copied());
        sb.run(&args).ok();
        assert_fmt_clean(&sb, "bootstrap");
        let storage = sb.read("bootstrap/storage.tf");
        assert!(storage.contains("shared_access_key_enabled         = false"));
        assert!(storage.contains("location = \"westeurope\""), "{storage}");
        assert_eq!(
            storage.contains("default_action = \"Deny\""),
            *name == "firewall"
        );
        let cmk = *name == "cmk" || *name == "existing_key";
        assert_eq!(storage.contains("customer_managed_key {"), cmk);
        assert_eq!(sb.join("bootstrap/cmk.tf").exists(), cmk);
        if *name == "existing_key" {
            // Versionless, so the account follows the key's rotation.
            assert!(
                storage.contains(
                    "key_vault_key_id          = \"https://acme-kv.vault.azure.net/keys/state\""
                ),
                "{storage}"
            );
        }
        let all = snapshot_of(&sb, "bootstrap");
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("azurerm_bootstrap_{name}"), all);
        });
    }
}

#[test]
fn env_backends_per_layout() {
    for layout in ["dir", "tfbackend"] {
        let sb = Sandbox::new();
        let envs = if layout == "dir" {
            "[[env]]\nname = \"dev\"\n\n[[env]]\nname = \"prod\"\nkey = \"production.tfstate\"\n"
        } else {
            "[[env]]\nname = \"qa\"\ndir = \"app\"\n\n[[env]]\nname = \"perf\"\ndir = \"app\"\n"
        };
        sb.write(
            "tfboot.toml",
            &format!("layout = \"{layout}\"\n{STATE}\n{envs}"),
        );
        sb.run(&["generate"]).ok();
        let dir = if layout == "dir" { "envs" } else { "app" };
        assert_fmt_clean(&sb, dir);
        let all = snapshot_of(&sb, dir);
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("azurerm_env_backends_{layout}"), all);
        });
        sb.run(&["generate", "--check"]).ok();
    }
}

#[test]
fn config_errors_and_validation() {
    let sb = Sandbox::new();
    sb.write(
        "tfboot.toml",
        &format!("{STATE}bucket = \"x\"\nregion = \"westeurope\"\n\n[[env]]\nname = \"dev\"\nprefix = \"dev\"\n"),
    );
    sb.run(&["generate"]).code(2).stderr_has_all(&[
        "line 5: unknown field `bucket` in [state]; Azure keeps state in a storage account container: use state.storage_account",
        "line 6: unknown field `region` in [state]; use state.location",
        "line 10: unknown field `prefix` in [[env]]; the azurerm backend has no prefix",
    ]);
    sb.write(
        "tfboot.toml",
        "[state]\nbackend = \"azurerm\"\nstorage_account = \"acme-tfstate\"\nlocation = \"westeurop\"\nresource_group = \"rg.\"\ncontainer = \"tf--state\"\nsubscription_id = \"prod\"\nallowed_ips = [\"10.0.0.0/8\", \"203.0.113.7/32\"]\ntags = { \"a/b\" = \"c\" }\n",
    );
    sb.run(&["generate"]).code(2).stderr_has_all(&[
        "tfboot.toml:3: state.storage_account = \"acme-tfstate\": storage account names use only lowercase letters and digits (found '-')",
        "tfboot.toml:4: state.location = \"westeurop\": not an Azure region; did you mean \"westeurope\"?",
        "tfboot.toml:5: state.resource_group = \"rg.\": resource group names must not end with '.'",
        "tfboot.toml:6: state.container = \"tf--state\": container names must not contain '--'",
        "tfboot.toml:7: state.subscription_id = \"prod\": a subscription ID is a GUID",
        "state.allowed_ips[0] = \"10.0.0.0/8\": the storage firewall takes only public internet addresses",
        "state.allowed_ips[1] = \"203.0.113.7/32\": the storage firewall does not take /31 or /32 ranges: write the address itself (203.0.113.7)",
        "state.tags key = \"a/b\": Azure tag names must not contain",
    ]);
    sb.write(
        "tfboot.toml",
        &format!("{STATE}encryption = \"cmk\"\nkey_vault_key_id = \"https://acme-kv.vault.azure.net/keys/state\"\n"),
    );
    sb.run(&["generate"])
        .code(2)
        .stderr_has("state.key_vault_key_id = \"https://acme-kv.vault.azure.net/keys/state\": an existing key needs key_vault_id too");
    sb.write(
        "tfboot.toml",
        &format!("{STATE}key_vault_key_id = \"https://acme-kv.vault.azure.net/keys/state\"\n"),
    );
    sb.run(&["generate"]).code(2).stderr_has(
        "a Key Vault key needs encryption = \"cmk\", but state.encryption is microsoft",
    );
    assert_eq!(
        sb.files(".")
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>(),
        ["tfboot.toml"]
    );
}

#[test]
fn init_and_bootstrap_flags() {
    let sb = Sandbox::new();
    sb.run(&[
        "init",
        "--backend",
        "azurerm",
        "--name",
        "acme",
        "--location",
        "westeurope",
        "--env",
        "dev",
    ])
    .ok();
    assert!(sb
        .read("tfboot.toml")
        .contains("storage_account = \"acmetfstate\""));
    sb.run(&["generate"]).ok();
    let backend = sb.read("envs/dev/backend.tf");
    assert!(backend.contains("backend \"azurerm\""), "{backend}");
    assert!(backend.contains("use_azuread_auth     = true"), "{backend}");
    assert!(
        backend.contains("resource_group_name  = \"acmetfstate-rg\""),
        "{backend}"
    );
    let sb = Sandbox::new();
    sb.run(&[
        "bootstrap",
        "--backend",
        "azurerm",
        "--bucket",
        "acme",
        "--location",
        "westeurope",
    ])
    .code(2)
    .stderr_has("--bucket (a s3/gcs flag) do not apply to the azurerm backend");
    sb.run(&[
        "bootstrap",
        "--backend",
        "azurerm",
        "--storage-account",
        "acmetfstate",
    ])
    .code(2)
    .stderr_has("--location is required with --backend azurerm");
    sb.run(&[
        "bootstrap",
        "--storage-account",
        "acmetfstate",
        "--region",
        "eu-west-1",
    ])
    .code(2)
    .stderr_has("--storage-account (a azurerm flag) do not apply to the s3 backend");
    sb.assert_empty();
}

const FAKE_TF: &str = r#"#!/bin/sh
here="$(basename "$PWD")"
case "$here" in tfboot-state-probe-*) here=probe ;; esac
echo "$here: $*" >> "$FAKE_TF_LOG"
case "$1" in
  apply) printf '%s' "$LOCAL_STATE" > terraform.tfstate ;;
  state)
    case "$2" in
      list) echo "$FAKE_TF_LISTED" ;;
      pull) [ -f "$FAKE_TF_REMOTE" ] && cat "$FAKE_TF_REMOTE" ;;
      push) for a; do f="$a"; done; cp "$f" "$FAKE_TF_REMOTE" ;;
    esac ;;
esac
exit 0
"#;

const LOCAL_STATE: &str = r#"{"version":4,"serial":3,"lineage":"local-1","resources":[{"mode":"managed","type":"azurerm_storage_container","name":"state","instances":[{"attributes":{"name":"tfstate"}}]}]}"#;

#[cfg(unix)]
#[test]
fn apply_checks_the_container_before_switching() {
    let sb = Sandbox::new();
    let fake = fake_terraform(&sb, "fake-terraform", FAKE_TF);
    let log = sb.join("tf.log").to_string_lossy().into_owned();
    let remote = sb.join("remote.tfstate").to_string_lossy().into_owned();
    let args = [
        "bootstrap",
        "--backend",
        "azurerm",
        "--storage-account",
        "acmetfstate",
        "--location",
        "westeurope",
        "--apply",
        "--auto-approve",
        "--terraform",
        &fake,
    ];
    let env = |listed: &'static str| {
        vec![
            ("FAKE_TF_LOG", log.clone()),
            ("FAKE_TF_REMOTE", remote.clone()),
            ("LOCAL_STATE", LOCAL_STATE.to_string()),
            ("FAKE_TF_LISTED", listed.to_string()),
        ]
    };
    let e = env("azurerm_storage_account.state");
    let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = sb.run_env(&args, &e).code(1);
    assert!(
        r.stderr
            .contains("does not hold azurerm_storage_container.state"),
        "{}",
        r.stderr
    );
    let e = env("azurerm_storage_container.state");
    let e: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = sb.run_env(&args, &e).ok();
    assert!(r.stdout.contains("bootstrapped: the state of bootstrap is at https://acmetfstate.blob.core.windows.net/tfstate/bootstrap/terraform.tfstate (westeurope), locked by a blob lease"), "{}", r.stdout);
    assert_eq!(sb.read("remote.tfstate"), LOCAL_STATE);
}
