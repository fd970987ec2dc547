//! Compile-fail tests: the macro's error messages, and where they point, are pinned. (The
//! shapes it accepts are compiled by `watch_macro.rs` itself.)

#[test]
fn bad_arguments_are_reported_at_the_users_span() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
