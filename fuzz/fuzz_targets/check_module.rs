//! Arbitrary bytes as the files of one module (`.tf`, `.tfbackend`, `.terraform.lock.hcl`): the
//! checker never panics and every diagnostic points inside its file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Up to three files, split at 0xFF bytes (which never occur in UTF-8).
    let names = ["main.tf", "prod.s3.tfbackend", ".terraform.lock.hcl"];
    let files: Vec<(String, Vec<u8>)> = data
        .split(|b| *b == 0xFF)
        .zip(names)
        .map(|(bytes, name)| (name.to_string(), bytes.to_vec()))
        .collect();
    let sizes: Vec<(String, usize)> = files.iter().map(|(n, b)| (n.clone(), b.len())).collect();
    for d in tfboot::check::check_module_files(files) {
        let size = sizes.iter().find(|(n, _)| *n == d.file).map_or(0, |(_, s)| *s);
        assert!(d.span.start <= d.span.end.max(d.span.start) && d.span.start <= size, "{d:?}");
        assert!(d.line >= 1 && d.column >= 1, "{d:?}");
    }
});
