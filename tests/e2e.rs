//! Runs tests/e2e/bootstrap.sh (real Terraform against the moto emulator), tests/e2e/gcs.sh
//! (against fake-gcs-server) and tests/e2e/azurerm.sh (against Azurite) when Terraform and the
//! emulator tooling are available, and says
//! clearly when they are not. TFBOOT_E2E=0 skips them.

#[test]
fn bootstrap_apply_against_the_aws_emulator() {
    if std::env::var("TFBOOT_E2E").as_deref() == Ok("0") {
        eprintln!("SKIPPED e2e: TFBOOT_E2E=0");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/bootstrap.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .env("TFBOOT_BIN", env!("CARGO_BIN_EXE_tfboot"))
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => eprintln!("{stdout}"),
        Some(77) => eprintln!("SKIPPED e2e: {}", stdout.trim()),
        code => panic!("e2e failed ({code:?}):\n{stdout}\n{stderr}"),
    }
}

#[test]
fn gcs_backends_against_the_gcs_emulator() {
    if std::env::var("TFBOOT_E2E").as_deref() == Ok("0") {
        eprintln!("SKIPPED e2e gcs: TFBOOT_E2E=0");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/gcs.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .env("TFBOOT_BIN", env!("CARGO_BIN_EXE_tfboot"))
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => eprintln!("{stdout}"),
        Some(77) => eprintln!("SKIPPED e2e gcs: {}", stdout.trim()),
        code => panic!("e2e gcs failed ({code:?}):\n{stdout}\n{stderr}"),
    }
}

#[test]
fn azurerm_backends_against_azurite() {
    if std::env::var("TFBOOT_E2E").as_deref() == Ok("0") {
        eprintln!("SKIPPED e2e azurerm: TFBOOT_E2E=0");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/azurerm.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .env("TFBOOT_BIN", env!("CARGO_BIN_EXE_tfboot"))
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => eprintln!("{stdout}"),
        Some(77) => eprintln!("SKIPPED e2e azurerm: {}", stdout.trim()),
        code => panic!("e2e azurerm failed ({code:?}):\n{stdout}\n{stderr}"),
    }
}
