//! tfboot's formatter (src/hclfmt.rs) against the real `terraform fmt`: untidy inputs from
//! tests/fixtures/fmt and whitespace-scrambled copies of every HCL file in examples/, each formatted
//! by both; the outputs must be byte-identical.

use std::path::{Path, PathBuf};

use crate::support::terraform;

/// xorshift: deterministic scrambling without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
}

/// Change only whitespace that `terraform fmt` owns: indentation, the spaces around `=` and after
/// commas, trailing spaces on code lines. Heredoc bodies are left alone.
fn scramble(src: &str, seed: u64) -> String {
    let mut rng = Rng(seed | 1);
    let mut out = String::new();
    let mut heredoc: Option<String> = None;
    for line in src.split_inclusive('\n') {
        if let Some(marker) = &heredoc {
            if line.trim() == marker {
                heredoc = None;
            }
            out.push_str(line);
            continue;
        }
        if let Some(i) = line.find("<<") {
            let m = line[i + 2..].trim_start_matches('-').trim().to_string();
            heredoc = Some(m);
        }
        let body = line.trim_start_matches([' ', '\t']);
        if body.starts_with('#') || body.starts_with("//") || body.trim().is_empty() {
            out.push_str(&" ".repeat(rng.below(5)));
            out.push_str(body);
            continue;
        }
        let indent = ["", " ", "    ", "\t", "      "][rng.below(5)];
        let mut body = body.to_string();
        if !body.contains('#') && !body.contains("//") && !body.contains('"') {
            let sep = [" = ", "=", "  =   ", " =", "= "][rng.below(5)];
            body = body.replace(" = ", sep);
            let comma = [", ", ",", ",   "][rng.below(3)];
            body = body.replace(", ", comma);
        } else if let Some(eq) = body.find(" = ") {
            // Only the first `=` (before any string or comment).
            if !body[..eq].contains('"') && !body[..eq].contains('#') {
                let sep = [" = ", "=", "   =  "][rng.below(3)];
                body = format!("{}{}{}", &body[..eq], sep, &body[eq + 3..]);
            }
        }
        if !body.contains('#')
            && !body.contains("//")
            && !body.contains("<<")
            && body.ends_with('\n')
        {
            body.insert_str(body.len() - 1, [" ", "", "   "][rng.below(3)]);
        }
        out.push_str(indent);
        out.push_str(&body);
    }
    out
}

fn hcl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if p.is_dir() {
            if !name.starts_with('.') {
                hcl_files(&p, out);
            }
        } else if name.ends_with(".tf") || name.ends_with(".tfbackend") {
            out.push(p);
        }
    }
}

#[test]
fn formatter_matches_terraform_fmt() {
    let Some(tf) = terraform() else {
        eprintln!("SKIPPED formatter_matches_terraform_fmt: no terraform on PATH");
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs: Vec<(String, String)> = Vec::new();
    let mut fixtures = Vec::new();
    hcl_files(&root.join("tests/fixtures/fmt"), &mut fixtures);
    for p in fixtures {
        inputs.push((
            p.display().to_string(),
            std::fs::read_to_string(&p).expect("read"),
        ));
    }
    let mut examples = Vec::new();
    hcl_files(&root.join("examples"), &mut examples);
    assert!(examples.len() > 10, "examples/ has HCL files");
    for p in &examples {
        let text = std::fs::read_to_string(p).expect("read");
        inputs.push((format!("{} (as committed)", p.display()), text.clone()));
        for seed in 1..=3u64 {
            let name = format!("{} (scrambled, seed {seed})", p.display());
            inputs.push((
                name,
                scramble(&text, seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            ));
        }
    }
    let dir = tempfile::tempdir().expect("tmp");
    for (i, (_, text)) in inputs.iter().enumerate() {
        std::fs::write(dir.path().join(format!("f{i:04}.tf")), text).expect("write");
    }
    let out = std::process::Command::new(tf)
        .args(["fmt", "-list=false", "."])
        .current_dir(dir.path())
        .output()
        .expect("terraform fmt");
    assert!(
        out.status.success(),
        "terraform fmt: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut failures = Vec::new();
    let mut changed = 0;
    for (i, (name, text)) in inputs.iter().enumerate() {
        let want = std::fs::read_to_string(dir.path().join(format!("f{i:04}.tf"))).expect("read");
        if &want != text {
            changed += 1;
        }
        match tfboot::hclfmt::format(text) {
            Ok(got) if got == want => {}
            Ok(got) => {
                let diff = similar::TextDiff::from_lines(&want, &got)
                    .unified_diff()
                    .header("terraform fmt", "tfboot")
                    .to_string();
                failures.push(format!("{name}:\n{diff}"));
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
    // The scrambling must have given terraform fmt something to do, or this test proves nothing.
    assert!(
        changed > inputs.len() / 2,
        "only {changed} of {} inputs were untidy",
        inputs.len()
    );
}

/// Formatting is idempotent, the result parses, and without Terraform's rewrite of `"${x}"` only
/// spaces and tabs change.
#[test]
fn formatter_keeps_meaning_and_is_idempotent() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    hcl_files(&root.join("tests/fixtures/fmt"), &mut files);
    hcl_files(&root.join("examples"), &mut files);
    for p in files {
        let text = std::fs::read_to_string(&p).expect("read");
        for seed in 0..4u64 {
            let input = if seed == 0 {
                text.clone()
            } else {
                scramble(&text, seed * 7919)
            };
            let once =
                tfboot::hclfmt::format(&input).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let twice = tfboot::hclfmt::format(&once).expect("format twice");
            assert_eq!(once, twice, "{}: not idempotent", p.display());
            hcl::parse(&input)
                .unwrap_or_else(|e| panic!("{} (seed {seed}) input: {e}", p.display()));
            hcl::parse(&once)
                .unwrap_or_else(|e| panic!("{} (seed {seed}) output: {e}", p.display()));
            // Without Terraform's `"${x}"` → `x` rewrite, only spaces and tabs may change.
            if !input.contains("\"${") {
                let visible = |s: &str| s.replace([' ', '\t'], "");
                assert_eq!(
                    visible(&input),
                    visible(&once),
                    "{}: more than whitespace changed",
                    p.display()
                );
                assert_eq!(
                    input.lines().count(),
                    once.lines().count(),
                    "{}: lines added or removed",
                    p.display()
                );
            }
        }
    }
}
