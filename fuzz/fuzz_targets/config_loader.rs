//! Arbitrary bytes as tfboot.toml: loading, validating and (when valid) rendering never panic, and
//! whatever renders parses back as HCL.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(cfg) = tfboot::config::LoadedConfig::parse(Path::new("tfboot.toml"), text.to_string()) else {
        return;
    };
    let Ok(project) = tfboot::model::ProjectInput::from_config(&cfg).build() else { return };
    let files = tfboot::render::bootstrap_module(&project, "tfboot bootstrap --apply")
        .expect("a valid project renders");
    for f in files.iter().filter(|f| f.kind == tfboot::render::FileKind::Hcl) {
        hcl::parse(&f.body).expect("rendered HCL parses");
    }
});
