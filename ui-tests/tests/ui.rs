//! Compile-time behaviour of the resilience attributes: what compiles and runs, and what is
//! rejected with exactly one error at the offending token.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
}
