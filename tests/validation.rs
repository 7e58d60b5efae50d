//! Bad input: exit 2, a message naming the file/line, field, value and rule, and nothing written.

use crate::support::Sandbox;

fn rejects(args: &[&str], expect: &[&str]) {
    let sb = Sandbox::new();
    let run = sb.run(args).code(2);
    for e in expect {
        assert!(
            run.stderr.contains(e),
            "{args:?}: stderr lacks {e:?}:\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("nothing was written") || run.stderr.starts_with("error:"));
    sb.assert_empty();
}

#[test]
fn every_flag_is_validated_before_writing() {
    let base = ["bootstrap", "--region", "eu-west-1", "--bucket"];
    rejects(
        &[&base[..], &["Acme"]].concat(),
        &["--bucket = \"Acme\"", "lowercase"],
    );
    rejects(&[&base[..], &["ab"]].concat(), &["3 to 63"]);
    rejects(&[&base[..], &["acme..x"]].concat(), &["adjacent periods"]);
    rejects(&[&base[..], &["10.0.0.1"]].concat(), &["IP address"]);
    rejects(&[&base[..], &["xn--acme"]].concat(), &["reserved prefix"]);
    rejects(&[&base[..], &["acme--x-s3"]].concat(), &["reserved suffix"]);
    rejects(
        &[
            "bootstrap",
            "--bucket",
            "acme-tfstate",
            "--region",
            "eu-west-9",
        ],
        &[
            "--region = \"eu-west-9\"",
            "not an AWS region",
            "did you mean",
        ],
    );
    rejects(
        &[
            "bootstrap",
            "--bucket",
            "acme-tfstate",
            "--region",
            "eu-west-1",
            "--lock-table",
            "my lock",
        ],
        &["--lock-table = \"my lock\"", "DynamoDB table names"],
    );
    rejects(
        &[
            "bootstrap",
            "--bucket",
            "acme-tfstate",
            "--region",
            "eu-west-1",
            "--kms-key-arn",
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ],
        &["--kms-key-arn", "RFC 4122"],
    );
    rejects(
        &[
            "bootstrap",
            "--bucket",
            "acme-tfstate",
            "--region",
            "eu-west-1",
            "--encryption",
            "aes256",
            "--kms-key-arn",
            crate::support::KMS_ARN,
        ],
        &["needs encryption = kms"],
    );
    rejects(
        &[
            "bootstrap",
            "--bucket",
            "acme-tfstate",
            "--region",
            "eu-west-1",
            "--tag",
            "owner=${var.x}",
        ],
        &["--tag owner", "tag values"],
    );
    rejects(
        &[
            "bootstrap",
            "--bucket",
            "acme-tfstate",
            "--region",
            "eu-west-1",
            "--tag",
            "aws:x=1",
        ],
        &["reserves tag keys"],
    );
    rejects(
        &[
            "bootstrap",
            "--bucket",
            "acme-tfstate",
            "--region",
            "eu-west-1",
            "--key",
            "/abs/key",
        ],
        &["--key", "must not start or end with '/'"],
    );
    rejects(
        &[
            "bootstrap",
            "--bucket",
            "acme-tfstate",
            "--region",
            "eu-west-1",
            "--lock",
            "redis",
        ],
        &["invalid value 'redis'"],
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let sb = Sandbox::new();
    let run = sb
        .run(&["bootstrap", "--bucket", "A", "--region", "mars-1"])
        .code(2);
    assert!(
        run.stderr.contains("--bucket") && run.stderr.contains("--region"),
        "{}",
        run.stderr
    );
}

fn config_rejects(toml: &str, expect: &[&str]) {
    let sb = Sandbox::new();
    sb.write("tfboot.toml", toml);
    let run = sb.run(&["generate"]).code(2);
    for e in expect {
        assert!(
            run.stderr.contains(e),
            "stderr lacks {e:?}:\n{}",
            run.stderr
        );
    }
    let names: Vec<_> = std::fs::read_dir(sb.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["tfboot.toml"], "nothing but the config");
}

#[test]
fn config_errors_name_file_line_and_field() {
    config_rejects(
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\nencrpyt = true\n",
        &["tfboot.toml: line 4", "unknown field `encrpyt`"],
    );
    config_rejects(
        "[state]\nbucket = \"Acme_State\"\nregion = \"eu-west-1\"\n",
        &["tfboot.toml:2: state.bucket = \"Acme_State\"", "lowercase"],
    );
    config_rejects(
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\nlock = \"redis\"\n",
        &["tfboot.toml: line 4", "unknown variant `redis`", "dynamodb"],
    );
    config_rejects(
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\n\n[[env]]\nname = \"dev\"\ndir = \"../outside\"\n",
        &["tfboot.toml:7: env[0].dir = \"../outside\"", "inside the repository"],
    );
    config_rejects(
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\n\n[[env]]\nname = \"dev\"\n\n[[env]]\nname = \"prod\"\nkey = \"envs/dev/terraform.tfstate\"\n",
        &["env[1].key", "also used by env \"dev\""],
    );
    config_rejects(
        "[state]\nbucket = \"acme-tfstate\"\nregion = \"eu-west-1\"\ntags = { \"aws:owner\" = \"x\" }\n",
        &["tfboot.toml:4", "state.tags key", "aws:"],
    );
    config_rejects(
        "[state]\nbucket = \"acme-tfstate\"\n",
        &["missing field `region`"],
    );
    config_rejects("not toml at all [", &["tfboot.toml: line 1"]);
}

#[test]
fn missing_config_file_is_exit_2() {
    let sb = Sandbox::new();
    sb.run(&["generate"]).code(2).stderr_has("tfboot.toml");
    sb.assert_empty();
}
