//! The committed examples are what tfboot generates from their committed configs.

use std::path::Path;

fn files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn quickstart_output_is_current() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(example.join("tfboot.toml"), tmp.path().join("tfboot.toml")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tfboot"))
        .arg("generate")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = files_under(tmp.path());
    let committed = files_under(&example);
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&generated),
        names(&committed),
        "file list differs: run `tfboot generate` in examples/quickstart"
    );
    for ((name, g), (_, c)) in generated.iter().zip(&committed) {
        assert!(g == c, "examples/quickstart/{name} is stale: run `cargo run -- generate --config examples/quickstart/tfboot.toml`");
    }
}
