//! `--templates DIR`: user overrides of the built-in templates, still escaped, parsed back and laid
//! out like `terraform fmt`; mistakes are errors naming the template and line.

use crate::support::{assert_terraform_fmt_clean, terraform, Sandbox};

const CONFIG: &str = r#"[state]
bucket = "acme-tfstate"
region = "eu-west-1"
lock   = "s3"
tags   = { team = "platform", "cost center" = "büro 7" }

[[env]]
name = "dev"

[[env]]
name = "prod"
key  = "prod/\"quoted\"/${var.x}/terraform.tfstate"
"#;

/// A house-style env backend: written untidily on purpose (no indentation, no alignment).
const ENV_BACKEND: &str = r#"# {{ what }}: house style
terraform {
required_version = "{{ required_version }}"
backend "s3" {
{% for s in backend %}{{ s.name }} = {{ s.value | hcl }}
{% endfor %}}
}
"#;

/// Tags in a naming convention of the user's own, from raw data.
const VERSIONS: &str = r#"terraform {
required_version = "{{ required_version }}"
required_providers {
aws = {
source = "hashicorp/aws"
version = "{{ aws_version }}"
}
}
}

provider "aws" {
region = "{{ region }}"
default_tags {
tags = {
{% for k, v in tags %}{{ "acme:" ~ k | hcl_key }} = "{{ v }}"
{% endfor %}ManagedBy = "tfboot"
}
}
}
"#;

fn project() -> Sandbox {
    let sb = Sandbox::new();
    sb.write("tfboot.toml", CONFIG);
    sb.write("tpl/env/backend.tf.tera", ENV_BACKEND);
    sb.write("tpl/bootstrap/versions.tf.tera", VERSIONS);
    sb
}

#[test]
fn overrides_are_escaped_parsed_and_fmt_canonical() {
    let sb = project();
    sb.run(&["generate", "--templates", "tpl"]).ok();
    let prod = sb.read("envs/prod/backend.tf");
    // Laid out although the template is not: indented, `=` aligned.
    assert!(
        prod.contains("\n  backend \"s3\" {\n    bucket       = \"acme-tfstate\"\n"),
        "{prod}"
    );
    // Escaped: the key's quotes and template markers come out literal.
    let body = hcl::parse(&prod).expect("parses");
    let tf = body
        .blocks()
        .find(|b| b.identifier() == "terraform")
        .expect("terraform");
    let backend = tf.body().blocks().next().expect("backend");
    let key = backend
        .body()
        .attributes()
        .find(|a| a.key() == "key")
        .expect("key");
    assert_eq!(
        key.expr(),
        &hcl::Expression::String("prod/\"quoted\"/${var.x}/terraform.tfstate".into())
    );
    let versions = sb.read("bootstrap/versions.tf");
    assert!(
        versions.contains("\"acme:cost center\" = \"büro 7\""),
        "{versions}"
    );
    assert!(
        versions.contains("\"acme:team\"        = \"platform\""),
        "{versions}"
    );
    // Files not overridden are the built-ins.
    let builtin = Sandbox::new();
    builtin.write("tfboot.toml", CONFIG);
    builtin.run(&["generate"]).ok();
    assert_eq!(sb.read("bootstrap/s3.tf"), builtin.read("bootstrap/s3.tf"));
    assert_ne!(
        sb.read("bootstrap/versions.tf"),
        builtin.read("bootstrap/versions.tf")
    );
    // The same templates again: nothing to do; without them the files have drifted.
    sb.run(&["generate", "--templates", "tpl", "--check"]).ok();
    sb.run(&["generate", "--check"])
        .code(1)
        .stdout_has("outdated: envs/prod/backend.tf");
    // Real terraform fmt agrees with every file.
    if let Some(tf) = terraform() {
        assert_terraform_fmt_clean(&tf, sb.path());
    }
}

#[test]
fn config_file_names_the_templates_so_checks_agree() {
    let sb = project();
    sb.write("tfboot.toml", &format!("templates = \"tpl\"\n{CONFIG}"));
    sb.run(&["generate"]).ok();
    assert!(sb
        .read("envs/dev/backend.tf")
        .contains("# env dev: house style"));
    sb.run(&["generate", "--check"]).ok();
    // The flag wins over the file.
    sb.write(
        "other/env/backend.tf.tera",
        "# other\nterraform {\nbackend \"s3\" {}\n}\n",
    );
    sb.run(&["generate", "--check", "--templates", "other"])
        .code(1);
    // A templates directory that is not there: exit 2 naming file, line, field and value.
    sb.write("tfboot.toml", &format!("templates = \"tlp\"\n{CONFIG}"));
    sb.run(&["generate"])
        .code(2)
        .stderr_has("tfboot.toml:1: templates = \"tlp\": must be a directory");
}

#[test]
fn invalid_hcl_names_the_template_and_line() {
    let sb = project();
    let before = sb.read("tfboot.toml");
    sb.write(
        "tpl/env/backend.tf.tera",
        "terraform {\n  backend \"s3\" {\n    bucket = \"{{ bucket }}\n  }\n}\n",
    );
    let run = sb.run(&["generate", "--templates", "tpl"]).code(2);
    assert!(
        run.stderr
            .contains("tpl/env/backend.tf.tera (overrides env/backend.tf.tera)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("renders invalid HCL at line 3"),
        "{}",
        run.stderr
    );
    assert!(!sb.join("envs").exists(), "nothing may be written");
    assert!(!sb.join("bootstrap").exists(), "nothing may be written");
    assert_eq!(sb.read("tfboot.toml"), before);
    // Raw output is the explicit exception, and still must parse.
    sb.write(
        "tpl/env/backend.tf.tera",
        "terraform {\n  backend \"s3\" {\n    key = {{ key | safe }}\n  }\n}\n",
    );
    sb.run(&["generate", "--templates", "tpl"])
        .code(2)
        .stderr_has("renders invalid HCL at line 3 (line 3 of the rendered output)");
}

#[test]
fn template_mistakes_are_errors_not_surprises() {
    let sb = project();
    // A misspelt name would silently change nothing: refused with a suggestion.
    sb.write("tpl/env/backnd.tf.tera", "x");
    sb.run(&["generate", "--templates", "tpl"])
        .code(2)
        .stderr_has("did you mean env/backend.tf.tera?");
    std::fs::remove_file(sb.join("tpl/env/backnd.tf.tera")).expect("rm");
    // So would a template without its .tera suffix.
    sb.write("tpl/env/backend.tf", "x");
    sb.run(&["generate", "--templates", "tpl"])
        .code(2)
        .stderr_has("rename it to env/backend.tf.tera");
    std::fs::remove_file(sb.join("tpl/env/backend.tf")).expect("rm");
    // Tera syntax errors name the file and position.
    sb.write("tpl/env/backend.tf.tera", "terraform {\n{% if %}\n}\n");
    sb.run(&["generate", "--templates", "tpl"])
        .code(2)
        .stderr_has("tpl/env/backend.tf.tera (overrides env/backend.tf.tera)")
        .stderr_has("2:");
    // Unknown variables too.
    sb.write("tpl/env/backend.tf.tera", "# {{ nope }}\n");
    sb.run(&["generate", "--templates", "tpl"])
        .code(2)
        .stderr_has("Variable `nope` not found");
    // Partials can be included.
    sb.write("tpl/env/_header.tera", "# {{ what }} (shared header)\n");
    sb.write("tpl/env/backend.tf.tera", "{% include \"env/_header.tera\" %}terraform {\nbackend \"s3\" {\n{% for s in backend %}{{ s.name }} = {{ s.value | hcl }}\n{% endfor %}}\n}\n");
    sb.run(&["generate", "--templates", "tpl"]).ok();
    assert!(sb
        .read("envs/dev/backend.tf")
        .contains("# env dev (shared header)"));
    sb.run(&["generate", "--templates", "missing"])
        .code(2)
        .stderr_has("templates directory missing");
}

#[test]
fn export_writes_the_builtins_and_they_reproduce_the_default_output() {
    let sb = Sandbox::new();
    sb.write("tfboot.toml", CONFIG);
    let list = sb.run(&["templates"]).ok();
    for name in [
        "bootstrap/s3.tf.tera",
        "env/backend.tf.tera",
        "env/env.s3.tfbackend.tera",
    ] {
        assert!(list.stdout.contains(name), "{name} not listed");
    }
    let one = sb.run(&["templates", "env/backend.tf.tera"]).ok();
    assert!(
        one.stdout.contains("{{ block_header | safe }} {"),
        "{}",
        one.stdout
    );
    sb.run(&["templates", "env/nope.tera"])
        .code(2)
        .stderr_has("no built-in template");
    sb.run(&["templates", "--export", "tpl"])
        .ok()
        .stdout_has("wrote tpl/bootstrap/s3.tf.tera");
    sb.run(&["templates", "--export", "tpl"]).code(1);
    sb.run(&["generate"]).ok();
    sb.run(&["generate", "--check", "--templates", "tpl"]).ok();
}

#[test]
fn bootstrap_takes_templates_too() {
    let sb = project();
    sb.run(&[
        "bootstrap",
        "--bucket",
        "acme-tfstate",
        "--region",
        "eu-west-1",
        "--tag",
        "team=platform",
        "--templates",
        "tpl",
        "--out",
        "state",
    ])
    .ok();
    let versions = sb.read("state/versions.tf");
    assert!(
        versions.contains("\"acme:team\" = \"platform\""),
        "{versions}"
    );
    assert!(sb.read("state/README.md").contains("--templates tpl"));
}
