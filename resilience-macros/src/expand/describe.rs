//! How logs show the fn's error type.

use proc_macro2::TokenStream;
use quote::quote;

use super::hygiene::local;
use super::site::Site;

/// A closure that picks `Debug` when the error type has it, decided at compile time by
/// autoref specialisation on the `Probe` it is given, and only called when something is
/// logged. Only when the body's type is written down: otherwise the error type may not be
/// inferred yet where the closure is checked.
pub(super) fn describe_error(site: &Site<'_>) -> TokenStream {
    let krate = site.krate;
    if site.plan.body_type.is_none() {
        return quote!(#krate::__private::by_type_name);
    }
    let probe = local("probe");
    quote! {
        |#probe| {
            #[allow(unused_imports)]
            use #krate::__private::{ProbeDebug as _, ProbeOther as _};
            #probe.describe_error()
        }
    }
}
