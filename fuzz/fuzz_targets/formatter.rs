//! Arbitrary text through tfboot's `terraform fmt` layout (src/hclfmt.rs): it never panics, and on
//! anything HashiCorp-style HCL that hcl-edit parses it succeeds, keeps the text parseable and is
//! idempotent.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let formatted = tfboot::hclfmt::format(text);
    if hcl::edit::parser::parse_body(text).is_err() {
        return;
    }
    let Ok(once) = formatted else {
        // The tokenizer may refuse syntax it does not know; it must say so, not mangle it.
        return;
    };
    assert!(
        hcl::edit::parser::parse_body(&once).is_ok(),
        "formatted text no longer parses:\n{text:?}\n=>\n{once:?}"
    );
    let twice = tfboot::hclfmt::format(&once).expect("formats its own output");
    assert_eq!(once, twice, "not idempotent for {text:?}");
});
