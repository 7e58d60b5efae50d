//! `tfboot templates`: list, print or export the built-in templates.

use super::*;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tfboot templates                          # list the built-in templates\n  tfboot templates env/backend.tf.tera      # print one\n  tfboot templates --export tpl             # write them all to tpl/ to start overrides from"
)]
pub struct TemplatesArgs {
    /// Print this built-in template (e.g. env/backend.tf.tera).
    #[arg(conflicts_with = "export")]
    pub name: Option<String>,
    /// Write the built-in templates into DIR (existing files are left alone unless --force).
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
    /// With --export: overwrite files that exist.
    #[arg(long, requires = "export")]
    pub force: bool,
}

pub(super) fn cmd_templates(a: &TemplatesArgs, ui: Ui, out: &mut dyn Write) -> Result<i32> {
    let w =
        |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(|e| Error::io("stdout", e));
    if let Some(name) = &a.name {
        let text = crate::templates::builtin_source(name).ok_or_else(|| {
            Error::Usage(format!(
                "no built-in template {name:?}; `tfboot templates` lists them"
            ))
        })?;
        out.write_all(text.as_bytes())
            .map_err(|e| Error::io("stdout", e))?;
        return Ok(0);
    }
    let Some(dir) = &a.export else {
        w(out, "Built-in templates (override one by putting a file of the same name under --templates DIR):".into())?;
        for (name, _) in crate::templates::BUILTIN {
            w(out, format!("  {name}"))?;
        }
        w(out, "Values are HCL-escaped unless piped through `| safe`; `| hcl` writes any value as an HCL expression, `| hcl_key` an object key. HCL output is parsed back and laid out like `terraform fmt`.".into())?;
        return Ok(0);
    };
    let mut existing = Vec::new();
    for (name, _) in crate::templates::BUILTIN {
        let path = dir.join(name);
        if path.exists() && !a.force {
            existing.push(path);
        }
    }
    if !existing.is_empty() {
        return Err(Error::Refused(existing));
    }
    for (name, text) in crate::templates::BUILTIN {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        crate::write::atomic_write(&path, text.as_bytes())?;
        if !ui.quiet {
            w(out, format!("wrote {}", path.display()))?;
        }
    }
    if ui.quiet {
        return Ok(0);
    }
    w(out, format!("next: delete the templates you keep as they are, edit the rest, and set `templates = \"{}\"` in tfboot.toml (or pass --templates {})", dir.display(), dir.display()))?;
    Ok(0)
}
