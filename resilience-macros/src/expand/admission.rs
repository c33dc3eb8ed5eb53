//! The admission of a layer that hands out permits (rate limit, bulkhead).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Lifetime, Path};

use super::hygiene::local;

/// A layer's admission, as an expression evaluating to its permit: decided in place by
/// `admit` (an `Admission`, matched where it is returned, so a permit stays in a register),
/// or, only when the call must wait, by the slow path `wait` (a boxed future awaited, or a
/// blocking call). A rejection breaks out of the block labelled `exit` with the layer's error.
pub(super) fn admit_or_wait(
    krate: &Path,
    exit: &Lifetime,
    admit: TokenStream,
    wait: TokenStream,
) -> TokenStream {
    let (permit, error) = (local("permit"), local("error"));
    let admission = quote!(#krate::__private::Admission);
    quote! {
        match #admit {
            #admission::Admitted(#permit) => #permit,
            #admission::Rejected(#error) => break #exit #krate::__private::layer_error(#error),
            #admission::Wait => match #wait {
                ::core::result::Result::Ok(#permit) => #permit,
                ::core::result::Result::Err(#error) => {
                    break #exit #krate::__private::layer_error(#error)
                }
            },
        }
    }
}
