//! Compile tests: the macro's error messages, and where they point, are pinned; the shapes it
//! accepts compile.

#[test]
fn bad_arguments_are_reported_at_the_users_span() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}

#[test]
fn async_fn_and_impl_future_forms_compile() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
}
