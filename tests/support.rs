//! A small builder that runs the real binary in a temp dir and reads what it wrote.

use std::path::{Path, PathBuf};
use std::process::Output;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    #[track_caller]
    pub fn stderr_has(self, s: &str) -> Self {
        assert!(
            self.stderr.contains(s),
            "stderr lacks {s:?}:\n{}",
            self.stderr
        );
        self
    }
    /// Every one of `parts` appears in stderr.
    #[track_caller]
    pub fn stderr_has_all(self, parts: &[&str]) -> Self {
        for s in parts {
            assert!(
                self.stderr.contains(s),
                "stderr lacks {s:?}:\n{}",
                self.stderr
            );
        }
        self
    }
    #[track_caller]
    pub fn stdout_has(self, s: &str) -> Self {
        assert!(
            self.stdout.contains(s),
            "stdout lacks {s:?}:\n{}",
            self.stdout
        );
        self
    }
}

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub fn write(&self, rel: &str, content: &str) -> &Self {
        let p = self.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Run in a subdirectory of the sandbox.
    pub fn run_in(&self, rel: &str, args: &[&str]) -> Run {
        self.run_at(&self.join(rel), args, &[])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run_at(self.path(), args, env)
    }

    fn run_at(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = assert_cmd::Command::cargo_bin("tfboot").expect("binary");
        cmd.current_dir(dir)
            .args(args)
            .env_remove("TFBOOT_TERRAFORM");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().expect("run tfboot");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Every file under `rel`, sorted, as (relative path, content).
    pub fn files(&self, rel: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        collect(&self.join(rel), &self.join(rel), &mut out);
        out.sort();
        out
    }

    /// Only these files are in the sandbox (nothing else was written).
    #[track_caller]
    pub fn assert_only(&self, names: &str) {
        let found: Vec<String> = self.files(".").into_iter().map(|(n, _)| n).collect();
        let expected: Vec<&str> = names.split(',').collect();
        assert_eq!(found, expected, "expected only {names}");
    }

    /// Nothing at all was written into the sandbox.
    #[track_caller]
    pub fn assert_empty(&self) {
        let entries: Vec<_> = std::fs::read_dir(self.path())
            .expect("read")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(
            entries.is_empty(),
            "expected nothing written, found {entries:?}"
        );
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == ".terraform") {
                continue;
            }
            collect(root, &p, out);
        } else {
            let rel = p
                .strip_prefix(root)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&p).unwrap_or_default()));
        }
    }
}

/// `terraform` on PATH, for the fmt checks that run when it is there.
pub fn terraform() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("terraform"))
        .find(|p| p.is_file())
}

/// `terraform fmt -check` over every file under `dir` must pass (its diff is the failure message).
#[track_caller]
pub fn assert_terraform_fmt_clean(tf: &Path, dir: &Path) {
    let out = std::process::Command::new(tf)
        .args(["fmt", "-check", "-recursive", "-list=true", "-diff"])
        .current_dir(dir)
        .output()
        .expect("terraform fmt");
    assert!(
        out.status.success(),
        "terraform fmt would change:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `terraform fmt -check` on one HCL text (nothing checked without terraform).
#[track_caller]
pub fn assert_terraform_fmt_clean_text(text: &str) {
    let Some(tf) = terraform() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), text).unwrap();
    assert_terraform_fmt_clean(&tf, dir.path());
}

pub const KMS_ARN: &str =
    "arn:aws:kms:eu-west-1:111122223333:key/0b6b2b5e-4d4f-4c8e-9a7d-3f2e1d0c9b8a";

/// Every file under `dir`, marker included, parsed back when it is HCL, for a snapshot.
pub fn snapshot_of(sb: &Sandbox, dir: &str) -> String {
    let mut all = String::new();
    for (name, content) in sb.files(dir) {
        all.push_str(&format!("===== {dir}/{name} =====\n{content}"));
        if name.ends_with(".tf") || name.ends_with(".tfbackend") {
            hcl::parse(&content).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
    all
}

/// `terraform fmt -check` over the files (partial configurations judged as .tf too).
#[track_caller]
pub fn assert_fmt_clean(sb: &Sandbox, dir: &str) {
    let Some(tf) = terraform() else {
        return;
    };
    let fmt_dir = tempfile::tempdir().unwrap();
    for (i, (name, content)) in sb.files(dir).iter().enumerate() {
        if name.ends_with(".tf") || name.ends_with(".tfbackend") {
            std::fs::write(fmt_dir.path().join(format!("f{i}.tf")), content).unwrap();
        }
    }
    assert_terraform_fmt_clean(&tf, fmt_dir.path());
}

/// Write `script` as an executable stand-in terraform at `name` in the sandbox; its path.
pub fn fake_terraform(sb: &Sandbox, name: &str, script: &str) -> String {
    sb.write(name, script);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(sb.join(name), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
    sb.join(name).to_string_lossy().into_owned()
}
