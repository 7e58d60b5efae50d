//! Runs tests/e2e/bootstrap.sh (real Terraform against the moto emulator), tests/e2e/locks.sh
//! (`tfboot locks` against moto, with locks real Terraform left behind), tests/e2e/doctor.sh
//! (`tfboot doctor` on a store tfboot bootstrapped, then with its hardening switched off), tests/e2e/gcs.sh
//! (against fake-gcs-server), tests/e2e/iam.sh (`tfboot iam-policy` linted by parliament and
//! enforced by moto on real Terraform), tests/e2e/aws-cli.sh (`bootstrap --emit aws-cli` run twice
//! with the real AWS CLI, then doctor and Terraform), tests/e2e/adopt.sh (a hand-made store taken over
//! with import blocks and real Terraform), tests/e2e/migrate.sh (`migrate-lock` over the example
//! monorepo, both phases, locks verified with real Terraform), tests/e2e/adopt-gcs.sh (a hand-made
//! Cloud Storage bucket taken over), tests/e2e/adopt-azurerm.sh (a hand-made storage account taken
//! over) and tests/e2e/azurerm.sh (against Azurite) when Terraform and the
//! emulator tooling are available, and says
//! clearly when they are not. TFBOOT_E2E=0 skips them.

/// One e2e script at a time: each runs an emulator and real Terraform, and side by side on a
/// small machine they slow the emulators down enough that a request a timed-out client gave up
/// on is still served after the script moved on (a lock that nobody holds any more).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Run one e2e script: 0 passed (its output shown), 77 skipped (says why), anything else fails.
fn run_e2e(script: &str, what: &str) {
    if std::env::var("TFBOOT_E2E").as_deref() == Ok("0") {
        eprintln!("SKIPPED {what}: TFBOOT_E2E=0");
        return;
    }
    // A script that failed in another test must not stop the others: ignore the poison.
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let script = format!("{}/tests/e2e/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("bash")
        .arg(script)
        .env("TFBOOT_BIN", env!("CARGO_BIN_EXE_tfboot"))
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => eprintln!("{stdout}"),
        Some(77) => eprintln!("SKIPPED {what}: {}", stdout.trim()),
        code => panic!("{what} failed ({code:?}):\n{stdout}\n{stderr}"),
    }
}

#[test]
fn bootstrap_apply_against_the_aws_emulator() {
    run_e2e("bootstrap.sh", "e2e");
}

#[test]
fn gcs_backends_against_the_gcs_emulator() {
    run_e2e("gcs.sh", "e2e gcs");
}

#[test]
fn azurerm_backends_against_azurite() {
    run_e2e("azurerm.sh", "e2e azurerm");
}

#[test]
fn held_locks_against_the_aws_emulator() {
    run_e2e("locks.sh", "e2e locks");
}

#[test]
fn iam_policy_linted_and_enforced_by_the_aws_emulator() {
    run_e2e("iam.sh", "e2e iam");
}

#[test]
fn emitted_aws_cli_script_against_the_aws_emulator() {
    run_e2e("aws-cli.sh", "e2e aws-cli");
}

#[test]
fn adopt_a_hand_made_store_against_the_aws_emulator() {
    run_e2e("adopt.sh", "e2e adopt");
}

#[test]
fn migrate_lock_of_the_example_monorepo_against_the_aws_emulator() {
    run_e2e("migrate.sh", "e2e migrate");
}

#[test]
fn doctor_against_the_aws_emulator() {
    run_e2e("doctor.sh", "e2e doctor");
}

#[test]
fn adopt_a_hand_made_gcs_bucket_against_the_gcs_emulator() {
    run_e2e("adopt-gcs.sh", "e2e adopt-gcs");
}

#[test]
fn adopt_a_hand_made_storage_account_against_azurite() {
    run_e2e("adopt-azurerm.sh", "e2e adopt-azurerm");
}
